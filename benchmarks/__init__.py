"""Speed and memory, measured as ratios and medians in one run; results in benchmarks/results/."""
