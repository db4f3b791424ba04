"""What CI proves: the README's test command, which cannot pass by skipping."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readmes_test_command():
    assert "make test" in (ROOT / "README.md").read_text().split("\n## ")[0]
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")
    assert "MNIST_EXPLORER_NO_SKIPS=1" in (ROOT / "Makefile").read_text()


def test_a_skip_fails_the_run_under_make_test(tmp_path):
    (tmp_path / "test_needs_data.py").write_text(
        "import pytest\n\ndef test_needs_data():\n    pytest.skip('pretend MNIST is missing')\n")

    def pytest_exit_code(**env) -> int:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest",
                               str(tmp_path)], cwd=ROOT, env={**os.environ, **env},
                              capture_output=True).returncode

    assert pytest_exit_code(MNIST_EXPLORER_NO_SKIPS="1") == 1
    assert pytest_exit_code(MNIST_EXPLORER_NO_SKIPS="0") == 0
