"""What the tests and the benchmarks drive the dashboard with: a real server and headless Chromium."""
