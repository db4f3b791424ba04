"""Train from a terminal, through the same code as the dashboard; the run appears on its Runs page.

    .venv/bin/python -m core.cli --preset best --epochs 3 --name "best, 3 epochs"
"""

from __future__ import annotations

import argparse
import sys
import threading

from core import architecture, runs
from core.data import MnistUnavailable, load_mnist
from core.training import TrainingJob, train


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=list(architecture.PRESETS), default="given")
    parser.add_argument("--hidden", type=int, nargs="*", metavar="UNITS",
                        help="replace the preset's hidden layers by relu layers of these sizes")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--lr-decay", type=float, help="multiply the learning rate by this each epoch")
    parser.add_argument("--optimizer", choices=architecture.OPTIMIZERS)
    parser.add_argument("--validation-fraction", type=float)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--train-images", type=int)
    parser.add_argument("--name", default="")
    return parser.parse_args(argv)


def config_from(arguments: argparse.Namespace) -> architecture.TrainingConfig:
    config = architecture.preset(arguments.preset)
    if arguments.hidden is not None:
        config.preset = "custom"
        config.dense = [architecture.DenseLayer(units) for units in arguments.hidden]
    for field in ("epochs", "batch_size", "learning_rate", "lr_decay", "optimizer", "validation_fraction",
                  "patience", "seed", "train_images"):
        if (value := getattr(arguments, field)) is not None:
            setattr(config.hyper, field, value)
    return config


def main(argv: list[str] | None = None) -> int:
    arguments = parse(argv)
    config = config_from(arguments)
    if problems := config.problems():
        print("This network cannot be trained:\n" + "\n".join(f"  - {p}" for p in problems),
              file=sys.stderr)
        return 2
    try:
        data = load_mnist()
    except MnistUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    job = TrainingJob(config, arguments.name)
    printed = threading.Event()

    def report(logs: dict, seconds: float, original=job._epoch_done) -> None:
        original(logs, seconds)
        progress = job.progress()
        print(f"epoch {progress.epoch}/{progress.epochs}: " + ", ".join(
            f"{key} {values[-1]:.4f}" for key, values in progress.history.items())
            + f" ({seconds:.1f} s)", flush=True)
        printed.set()

    job._epoch_done = report
    print(f"Training {config.describe()} on {data.source}; Ctrl+C stops and keeps the run.")
    try:
        run = train(job, data)
    except KeyboardInterrupt:  # Keras lets it through between batches: nothing saved then
        print("Interrupted.", file=sys.stderr)
        return 130
    if run is None:
        return 1
    print(f"Saved run {run.id} ({run.status}): validation accuracy "
          f"{run.record['validation_accuracy']:.4f}, test accuracy {run.record['test_accuracy']:.4f}"
          f"\n  {run.folder}  (runs folder: {runs.runs_dir()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
