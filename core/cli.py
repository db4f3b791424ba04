"""Train from a terminal, through the same code as the dashboard, and manage the saved runs.

    .venv/bin/python -m core.cli --preset best --epochs 3 --name "best, 3 epochs"
    .venv/bin/python -m core.cli runs list
    .venv/bin/python -m core.cli runs rename RUN_ID "a better name"
    .venv/bin/python -m core.cli runs delete RUN_ID
    .venv/bin/python -m core.cli runs epochs RUN_ID
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from core import architecture, runs, test_report
from core.data import MnistUnavailable, load_mnist
from core.jobs import TERMINAL, TrainingJob
from core.training import train


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.cli", description=__doc__.split("\n")[0],
                                     epilog="'python -m core.cli runs --help' lists, renames and "
                                            "deletes saved runs.")
    parser.add_argument("--preset", choices=list(architecture.PRESETS), default="given")
    parser.add_argument("--hidden", type=int, nargs="+", metavar="UNITS",
                        help="replace the preset's hidden layers by relu layers of these sizes")
    parser.add_argument("--reduction", choices=list(architecture.REDUCTIONS),
                        help="a parameter-free reduction of the input image before the first layer")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--schedule", choices=architecture.SCHEDULES,
                        help="how the learning rate moves: held, decayed per epoch, or one cycle")
    parser.add_argument("--lr-decay", type=float,
                        help="multiply the learning rate by this each epoch (the step schedule)")
    parser.add_argument("--warmup", type=float, help="one-cycle: the share of steps spent warming up")
    parser.add_argument("--label-smoothing", type=float)
    parser.add_argument("--optimizer", choices=architecture.OPTIMIZERS)
    parser.add_argument("--beta-1", type=float, help="Adam and Nadam")
    parser.add_argument("--beta-2", type=float, help="Adam and Nadam")
    parser.add_argument("--validation-fraction", type=float)
    parser.add_argument("--patience", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--train-images", type=int)
    parser.add_argument("--name", default="")
    parser.add_argument("--queue", action="store_true",
                        help="train on the RQ workers of $MNIST_EXPLORER_REDIS_URL (a classroom server) "
                             "instead of in this process; the run comes back to this runs folder")
    return parser.parse_args(argv)


def parse_runs(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m core.cli runs",
                                     description="List, rename or delete saved runs (any run: the "
                                                 "terminal manages the runs folder).")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every run, newest first")
    rename = commands.add_parser("rename", help="give a run a new name")
    rename.add_argument("run_id")
    rename.add_argument("name")
    delete = commands.add_parser("delete", help="delete a run's folder")
    delete.add_argument("run_id")
    epochs = commands.add_parser("epochs", help="replay a run: its accuracy after every kept epoch "
                                                "(the predictions are cached for the dashboard too)")
    epochs.add_argument("run_id")
    return parser.parse_args(argv)


def config_from(arguments: argparse.Namespace) -> architecture.TrainingConfig:
    config = architecture.preset(arguments.preset)
    if arguments.hidden is not None:
        config.preset = "custom"
        config.dense = [architecture.DenseLayer(units) for units in arguments.hidden]
    if arguments.reduction is not None and arguments.reduction != config.reduction:
        config.preset, config.reduction = "custom", arguments.reduction
    if arguments.lr_decay is not None and arguments.schedule is None:
        arguments.schedule = "step"  # a decay per epoch is what the step schedule does
    for field in ("epochs", "batch_size", "learning_rate", "schedule", "lr_decay", "warmup",
                  "label_smoothing", "optimizer", "beta_1", "beta_2", "validation_fraction", "patience",
                  "seed", "train_images"):
        if (value := getattr(arguments, field)) is not None:
            setattr(config.hyper, field, value)
    return config


HIDDEN_NOTE = ("A class challenge runs: test accuracies are on the public half of the test set (5,000 "
               "digits); the other half stays hidden until the teacher reveals it.")

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if argv[:1] == ["runs"]:
        return manage_runs(parse_runs(argv[1:]))
    return train_from_terminal(parse(argv))


def manage_runs(arguments: argparse.Namespace) -> int:
    try:
        if arguments.command == "list":
            report = test_report.terminal_report(load_mnist)
            if report.hidden:
                print(HIDDEN_NOTE)
            for run in runs.list_runs():
                accuracy = report.accuracy(run)
                print(f"{run.id}  {run.status:<10} {_made_by(run):<16} "
                      f"{f'{accuracy:.2%}' if isinstance(accuracy, float) else '-':>7}  {run.name}"
                      + (f"  ({run.problem})" if run.problem else ""))
        elif arguments.command == "epochs":
            return replay(runs.get_run(arguments.run_id))
        elif arguments.command == "rename":
            run = runs.rename_run(arguments.run_id, arguments.name)
            print(f"Renamed {run.id} to {run.name!r}.")
        else:
            runs.delete_run(arguments.run_id)
            print(f"Deleted {arguments.run_id}.")
    except runs.RunError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


def replay(run: runs.Run) -> int:
    from core import evaluation, inspection

    if not run.usable:
        raise runs.RunError(f"run {run.name} is {run.status}: {run.problem or 'nothing to replay'}")
    if not inspection.epochs_kept(run):
        print(f"Run {run.name} was trained before runs kept their epochs: nothing to replay.",
              file=sys.stderr)
        return 1
    data = load_mnist()
    config = architecture.TrainingConfig.from_dict(run.record["config"])
    shown = test_report.terminal_report(lambda: data).indices  # the public half's, in a challenge
    if shown is not None:
        print(HIDDEN_NOTE)
    for split in evaluation.SPLITS:
        images, labels = evaluation.split_for_run(data, config, split)
        every_epoch = inspection.epoch_probabilities(run, split, images).argmax(axis=2)
        if split == "test" and shown is not None:
            every_epoch, labels = every_epoch[:, shown], labels[shown]
        accuracies = [f"{number}: {(predicted == labels).mean():.2%}"
                      for number, predicted in enumerate(every_epoch, 1)]
        print(f"{split} accuracy by epoch: " + ", ".join(accuracies))
    return 0


def _made_by(run: runs.Run) -> str:
    if run.owner is None:
        return "unknown"
    return "terminal" if run.owner == TERMINAL else "a dashboard user"


def train_from_terminal(arguments: argparse.Namespace) -> int:
    config = config_from(arguments)
    if problems := config.problems():
        print("This network cannot be trained:\n" + "\n".join(f"  - {p}" for p in problems),
              file=sys.stderr)
        return 2
    try:
        runs.check_writable()
        if arguments.queue:
            return train_on_the_queue(config, arguments.name)
        data = load_mnist()
    except (runs.RunError, MnistUnavailable) as error:
        print(error, file=sys.stderr)
        return 1
    for reason in data.skipped:  # e.g. a damaged MNIST_PATH: said, as the dashboard's sidebar does
        print(f"Not used: {reason}", file=sys.stderr)
    job = TrainingJob(config, arguments.name, owner=TERMINAL)
    job.on_epoch(lambda job, epoch, logs, seconds: print_epoch(job.config, epoch, logs, seconds))

    def stop_after_this_batch(signum, frame) -> None:
        print("\nStopping after the current batch (Ctrl+C again aborts without saving)...",
              file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        job.stop()

    previous = signal.signal(signal.SIGINT, stop_after_this_batch)
    print(f"Training {config.describe()} on {data.source}; Ctrl+C stops after the current batch "
          "and keeps the run.", flush=True)
    try:
        run = train(job, data)
    except KeyboardInterrupt:  # the second Ctrl+C
        print("Aborted: nothing was saved.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    if run is None:
        said = job.progress().nothing_kept_message()
        print(f"{said[0].upper()}{said[1:]}.", file=sys.stderr)
        return 1
    return print_saved(run)


def print_epoch(config: architecture.TrainingConfig, epoch: int, logs: dict, seconds: float) -> None:
    print(f"epoch {epoch}/{config.hyper.epochs}: "
          + ", ".join(f"{key} {value:.4f}" for key, value in logs.items()) + f" ({seconds:.1f} s)",
          flush=True)


def print_saved(run: runs.Run) -> int:
    report = test_report.terminal_report(load_mnist)
    accuracy = report.accuracy(run)
    if report.hidden:
        print(HIDDEN_NOTE)
    print(f"{run.record['message']}\nSaved run {run.id} ({run.status})"
          + (f": validation accuracy {run.record['validation_accuracy']:.4f}, test accuracy "
             f"{accuracy:.4f}" if accuracy is not None else "")
          + f"\n  {run.folder}  (runs folder: {runs.runs_dir()})")
    return 0


def train_on_the_queue(config: architecture.TrainingConfig, name: str) -> int:
    """Queue the training on the classroom server's workers and follow it here, epoch by epoch;
    Ctrl+C asks it to stop (the run is kept), a second Ctrl+C leaves it to train on."""
    import os
    import time

    from core.trainings import REDIS_ENV, Limits, TrainingsUnreachable
    from core.trainings.on_redis import RedisTrainings
    from core.urls import safe_url

    if not (url := os.environ.get(REDIS_ENV)):
        print(f"--queue needs {REDIS_ENV}: the Redis URL of the classroom server", file=sys.stderr)
        return 2
    trainings = RedisTrainings(url, Limits(max_per_owner=1000, max_queued=1000))
    try:
        job = trainings.submit(config, name, owner=TERMINAL)
    except (TrainingsUnreachable, architecture.ConfigError) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"Queued as #{job.id} on {safe_url(trainings.url)}: Ctrl+C stops it after its current "
          "group of batches and keeps the run.", flush=True)

    def stop_after_this_group(signum, frame) -> None:
        print("\nStopping after the current group of batches (Ctrl+C again leaves it to train on)...",
              file=sys.stderr, flush=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        trainings.stop(job, TERMINAL)

    previous = signal.signal(signal.SIGINT, stop_after_this_group)
    printed = 0

    def print_new_epochs(progress) -> int:
        for epoch in range(printed, progress.epoch):
            logs = {key: values[epoch] for key, values in progress.history.items()}
            print_epoch(config, epoch + 1, logs, progress.epoch_seconds[epoch])
        return max(printed, progress.epoch)

    try:
        while not job.done.is_set():
            printed = print_new_epochs(job.progress())
            time.sleep(0.5)
    except KeyboardInterrupt:
        trainings.release(job)
        print(f"Left to train on as #{job.id}: the classroom server's dashboard saves its run when it "
              "ends.", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, previous)
    progress = job.progress()
    print_new_epochs(progress)  # those that ended since the last look
    if progress.status == "failed" or progress.run_id is None:
        print(f"{progress.status}: {progress.message}", file=sys.stderr)
        return 1
    return print_saved(runs.get_run(progress.run_id))


if __name__ == "__main__":
    sys.exit(main())
