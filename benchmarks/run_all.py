"""Run every benchmark in this folder, one after another (`make bench`)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOT_BENCHMARKS = ("run_all", "__init__", "timing", "seeds")  # this runner and the helpers they share

for script in sorted(HERE.glob("*.py")):
    if script.stem not in NOT_BENCHMARKS:
        print(f"== {script.name}", flush=True)
        subprocess.run([sys.executable, "-m", f"benchmarks.{script.stem}"], cwd=HERE.parent, check=True)
