"""Train every preset on the full data, five seeds each, through the dashboard's training path, and
record its parameters, epochs, test accuracy per seed and their median (and mean), and training
seconds (the wall time of `fit`, the first step's tracing included; median of the five).

The classic presets are held to the classic analysis's validation accuracies (docs/reference.md);
the fast ones to the test accuracy and the training time they promise.

    .venv/bin/python -m benchmarks.preset_accuracy [preset ...] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.seeds import trained_with_seeds
from core import architecture

ROOT = Path(__file__).resolve().parents[1]

SEEDS = (0, 1, 2, 3, 4)
# preset: (accuracy to reach, on which split, at most this many seconds of training or None); the
# sprint's is the records' goal, 99% in 4 s, which no candidate reaches on this CPU (sprint_breakdown)
TARGETS = {"given": (0.96, "validation", None), "compact": (0.95, "validation", None),
           "best": (0.973, "validation", None), "sprint": (0.99, "test", 4),
           "conv": (0.994, "test", 120), "mlp": (0.985, "test", 45), "small95": (0.95, "test", None),
           "small99": (0.99, "test", None), "tiny99": (0.99, "test", None)}


def summary(record: dict) -> dict:
    """One seed's numbers, from its run record."""
    return {
        "seed": record["config"]["hyper"]["seed"],
        "test_accuracy": round(record["test_accuracy"], 4),
        # the classic analysis read the best epoch's validation accuracy
        "best_validation_accuracy": round(max(record["history"]["val_accuracy"]), 4),
        "training_seconds": round(record["training_seconds"], 1),
        "seconds_per_epoch": [round(s, 2) for s in record["epoch_seconds"]],
        "wall_seconds_with_evaluation_and_save": round(record["wall_seconds_with_evaluation_and_save"], 1),
    }


def main(names: list[str], workers: int) -> None:
    out = ROOT / "benchmarks" / "results" / "preset_accuracy.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        target, split, seconds_allowed = TARGETS[name]
        config, seeds = architecture.preset(name), []
        for record in trained_with_seeds(config, list(SEEDS), workers):
            seeds.append(summary(record))
            print(name, json.dumps(seeds[-1]), flush=True)
        accuracy = statistics.median(s["test_accuracy" if split == "test" else "best_validation_accuracy"]
                                     for s in seeds)
        seconds = statistics.median(s["training_seconds"] for s in seeds)
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
            "trained_at_once": workers,
            "measured": time.strftime("%Y-%m-%d %H:%M"),
        }
        out.write_text(json.dumps(report, indent=2))
    print(json.dumps({name: {key: value for key, value in result.items() if key != "seeds"}
                      for name, result in report.items()}, indent=2))


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description="every preset's accuracy and training seconds")
    arguments.add_argument("presets", nargs="*", default=list(TARGETS), help=", ".join(TARGETS))
    arguments.add_argument("--workers", type=int, default=1,
                           help="seeds trained at a time, each in a process of its own: for networks so "
                                "small that one training keeps one core busy (the seconds of larger "
                                "ones would lie)")
    parsed = arguments.parse_args()
    main(parsed.presets, parsed.workers)
