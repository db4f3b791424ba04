"""Train every preset on the full data, five seeds each, through the dashboard's training path, and
record its parameters, epochs, test accuracy per seed and their median (and mean), and training
seconds (the wall time of `fit`, the first step's tracing included; median of the five).

The classic presets are held to the classic analysis's validation accuracies (docs/reference.md);
the fast ones to the test accuracy and the training time they promise.

    .venv/bin/python -m benchmarks.preset_accuracy [preset ...]
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from core import architecture
from core.data import load_mnist
from core.jobs import TrainingJob
from core.training import train

ROOT = Path(__file__).resolve().parents[1]

SEEDS = (0, 1, 2, 3, 4)
# preset: (accuracy to reach, on which split, at most this many seconds of training or None)
TARGETS = {"given": (0.96, "validation", None), "compact": (0.95, "validation", None),
           "best": (0.973, "validation", None), "sprint": (0.99, "test", 10),
           "conv": (0.994, "test", 120), "mlp": (0.985, "test", 45), "small95": (0.95, "test", None),
           "small99": (0.99, "test", None)}


def main(names: list[str]) -> None:
    data = load_mnist()
    out = ROOT / "benchmarks" / "results" / "preset_accuracy.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        target, split, seconds_allowed = TARGETS[name]
        seeds = []
        for seed in SEEDS:
            config = architecture.preset(name)
            config.hyper.seed = seed
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as runs_folder:
                run = train(TrainingJob(config, f"{name} seed {seed}"), data, Path(runs_folder))
            record = run.record
            seeds.append({
                "seed": seed,
                "test_accuracy": round(record["test_accuracy"], 4),
                # the classic analysis read the best epoch's validation accuracy
                "best_validation_accuracy": round(max(record["history"]["val_accuracy"]), 4),
                "training_seconds": round(record["training_seconds"], 1),
                "seconds_per_epoch": [round(s, 2) for s in record["epoch_seconds"]],
                "wall_seconds_with_evaluation_and_save": round(time.perf_counter() - started, 1),
            })
            print(name, json.dumps(seeds[-1]), flush=True)
        accuracy = statistics.median(s["test_accuracy" if split == "test" else "best_validation_accuracy"]
                                     for s in seeds)
        seconds = statistics.median(s["training_seconds"] for s in seeds)
        config = architecture.preset(name)
        report[name] = {
            "description": config.describe(),
            "parameters": config.parameter_count(),
            "epochs": config.hyper.epochs,
            "target": f"median {split} accuracy >= {target}"
                      + (f" in <= {seconds_allowed} s of training" if seconds_allowed else ""),
            "median_test_accuracy": round(statistics.median(s["test_accuracy"] for s in seeds), 4),
            "median_training_seconds": round(seconds, 1),
            "mean_test_accuracy": round(statistics.mean(s["test_accuracy"] for s in seeds), 4),
            "mean_best_validation_accuracy": round(
                statistics.mean(s["best_validation_accuracy"] for s in seeds), 4),
            "mean_training_seconds": round(statistics.mean(s["training_seconds"] for s in seeds), 1),
            "target_met": accuracy >= target and (seconds_allowed is None or seconds <= seconds_allowed),
            "seeds": seeds,
            "measured": time.strftime("%Y-%m-%d %H:%M"),
        }
        out.write_text(json.dumps(report, indent=2))
    print(json.dumps({name: {key: value for key, value in result.items() if key != "seeds"}
                      for name, result in report.items()}, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:] or list(TARGETS))
