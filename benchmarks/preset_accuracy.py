"""Train every preset on the full data, through the dashboard's training path, and record when each
reaches its reference accuracy (the classic analysis's numbers, docs/reference.md).

    .venv/bin/python benchmarks/preset_accuracy.py [preset ...]
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import architecture  # noqa: E402
from core.data import load_mnist  # noqa: E402
from core.training import TrainingJob, train  # noqa: E402

# preset: (accuracy to reach, on which split, epochs it may take). The classic analysis reported
# validation accuracy for its three networks; the convnet's aim is a test accuracy.
TARGETS = {"given": (0.96, "validation", 10), "compact": (0.95, "validation", 13),
           "best": (0.973, "validation", 10), "conv": (0.992, "test", 6)}


def main(names: list[str]) -> None:
    data = load_mnist()
    out = ROOT / "benchmarks" / "results" / "preset_accuracy.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        target, split, epochs = TARGETS[name]
        config = architecture.preset(name)
        config.hyper.epochs = epochs
        job = TrainingJob(config, name)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as runs_folder:
            run = train(job, data, Path(runs_folder))
        wall = time.perf_counter() - started
        history, seconds = run.record["history"], run.record["epoch_seconds"]
        elapsed = list(itertools.accumulate(seconds))
        reached = next((i for i, acc in enumerate(history["val_accuracy"]) if acc >= target), None)
        report[name] = {
            "parameters": run.record["parameters"],
            "target": f"{split} accuracy >= {target}",
            "target_met": (run.record["test_accuracy"] >= target if split == "test"
                           else reached is not None),
            "epochs_trained": len(seconds),
            "validation_accuracy_per_epoch": [round(a, 4) for a in history["val_accuracy"]],
            "final_validation_accuracy": run.record["validation_accuracy"],
            "test_accuracy": run.record["test_accuracy"],
            "reached_target_at_epoch": None if reached is None else reached + 1,
            "seconds_to_target": None if reached is None else round(elapsed[reached], 1),
            "seconds_per_epoch": round(sum(seconds) / len(seconds), 2),
            "wall_seconds_with_evaluation_and_save": round(wall, 1),
        }
        print(name, json.dumps(report[name]), flush=True)
        out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:] or list(TARGETS))
