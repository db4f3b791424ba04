"""The architecture search from a terminal: start a study, join one as a worker (from any
machine), show or list studies.

    .venv/bin/python -m core.search start --study fc --kind dense --epochs 12 --minutes 30
    .venv/bin/python -m core.search worker --study fc --trials 200
    .venv/bin/python -m core.search show --study fc
    .venv/bin/python -m core.search choose --study fc --target 0.98   # chosen on validation, then tested
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from core.architecture import HOLDOUT_IMAGES, REDUCTIONS, TRAIN_IMAGES, ConfigError
from core.search.results import pareto_front, smallest_reaching, test_chosen, trial_rows
from core.search.results import tested as tested_before
from core.search.space import KINDS, SearchSpace
from core.search.storage import STORAGE_ENV, create_study, default_storage, load_study, study_names
from core.search.worker import SearchStalled, work

logger = logging.getLogger("core.search")

YES_NO_BOTH = {"no": [False], "yes": [True], "both": [False, True]}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core.search", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="create a study and work on it")
    start.add_argument("--kind", choices=list(KINDS), default="dense")
    for flag, default in (("min-layers", 1), ("max-layers", 4), ("min-width", 4), ("max-width", None),
                          ("epochs", 5), ("train-images", 60_000), ("seed", 0)):
        start.add_argument(f"--{flag}", type=int, default=default)
    start.add_argument("--reductions", default=",".join(REDUCTIONS))
    start.add_argument("--batch-norm", choices=list(YES_NO_BOTH), default="both")
    start.add_argument("--separable", choices=list(YES_NO_BOTH), default="no",
                       help="depthwise separable convolutions after the first (conv only)")
    start.add_argument("--plain-norm", choices=list(YES_NO_BOTH), default="no",
                       help="batch norm without its scale and shift: no parameters (conv only)")
    start.add_argument("--max-parameters", type=int, default=0,
                       help="networks larger than this are not trained (0: no cap)")
    start.add_argument("--max-multiply-adds", type=int, default=0,
                       help="nor networks costing more multiply-adds per image (0: no cap)")
    start.add_argument("--max-dropout", type=float, default=0.3)
    start.add_argument("--validation-fraction", type=float, default=HOLDOUT_IMAGES / TRAIN_IMAGES,
                       help="the share of the training images every trial validates on (the same "
                            "images for all: a fixed holdout)")
    start.add_argument("--split-seed", type=int, default=0, help="chooses the holdout images")
    start.add_argument("--rotations", default="0",
                       help="random rotations (degrees) trials may use, e.g. 0,15")
    start.add_argument("--repeats", default="1",
                       help="times a convolution after the first may be applied with the same weights, "
                            "e.g. 1,2,3 (conv only)")
    start.add_argument("--global-pool", choices=list(YES_NO_BOTH), default="both",
                       help="average each feature map to one number before the output (conv only)")
    worker = commands.add_parser("worker", help="join an existing study (from any machine)")
    worker.add_argument("--seed", type=int, default=None, help="the sampler's seed (default: from the pid)")
    show = commands.add_parser("show", help="a study's trials and front")
    listing = commands.add_parser("list", help="the studies in a storage")
    choose = commands.add_parser("choose", help="the smallest network reaching a validation accuracy, "
                                 "then its test accuracy (the test set read once, for it)")
    choose.add_argument("--target", type=float, required=True, help="validation accuracy, e.g. 0.98")
    for command in (start, worker, show, listing, choose):
        command.add_argument("--storage", default=None, help=f"Optuna storage URL (default: ${STORAGE_ENV} "
                             f"or sqlite in the runs folder)")
    for command in (start, worker, show, choose):
        command.add_argument("--study", required=True)
    for command in (start, worker):
        command.add_argument("--trials", type=int, default=None, help="stop once the study has this many")
        command.add_argument("--minutes", type=float, default=None, help="stop starting trials after this")
    return parser


def main(argv: list[str] | None = None) -> int:
    from core.data import MnistUnavailable, load_mnist

    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    storage = args.storage or default_storage()
    try:
        if args.command == "list":
            for name in study_names(storage):
                print(name)
            return 0
        if args.command == "start":
            space = SearchSpace(kind=args.kind, min_layers=args.min_layers, max_layers=args.max_layers,
                                min_width=args.min_width, epochs=args.epochs,
                                max_width=args.max_width or (512 if args.kind == "dense" else 32),
                                train_images=args.train_images, seed=args.seed,
                                reductions=args.reductions.split(","), max_dropout=args.max_dropout,
                                validation_fraction=args.validation_fraction, split_seed=args.split_seed,
                                rotations=[float(angle) for angle in args.rotations.split(",")],
                                repeats=[int(times) for times in args.repeats.split(",")],
                                global_pool=YES_NO_BOTH[args.global_pool],
                                batch_norm=YES_NO_BOTH[args.batch_norm],
                                separable=YES_NO_BOTH[args.separable],
                                plain_norm=YES_NO_BOTH[args.plain_norm], max_parameters=args.max_parameters,
                                max_multiply_adds=args.max_multiply_adds)
            study = create_study(args.study, space, storage)
        else:
            study = load_study(args.study, storage,
                               seed=(args.seed if args.seed is not None else os.getpid())
                               if args.command == "worker" else None)
    except (ConfigError, KeyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "choose":
        return _choose(study, args.target)
    if args.command in ("start", "worker"):
        try:
            data = load_mnist()
        except MnistUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        from core.trainings.local import LocalTrainings

        trainings = LocalTrainings(data)
        try:
            done = work(study, trainings, trials=args.trials, minutes=args.minutes)
        except SearchStalled as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        logger.info("this worker ran %d trial(s)", done)
    _print_study(study)
    return 0


def _choose(study, target: float) -> int:
    from core import runs, test_report
    from core.data import load_mnist
    from core.runs import RunError

    chosen = smallest_reaching(study, target)
    if chosen is None:
        print(f"no trial reaches {target:.2%} validation accuracy yet")
        return 1
    print(f"chosen on validation: trial #{chosen.number}, {chosen.user_attrs['architecture']}, "
          f"{chosen.values[1]:,.0f} parameters, {chosen.values[0]:.2%} validation")
    try:
        if str(chosen.number) not in tested_before(study):
            test_chosen(study, chosen, load_mnist())
        report = test_report.terminal_report(load_mnist)  # the public half while a challenge runs
        accuracy = report.accuracy(runs.get_run(chosen.user_attrs["run_id"]))
    except RunError as error:
        print(f"error: its run cannot be read here: {error}", file=sys.stderr)
        return 1
    print(f"reported on test{' (its public half: a class challenge runs)' if report.hidden else ''}: "
          f"{accuracy:.2%}")
    return 0


def _print_study(study) -> None:
    for row in trial_rows(study):
        accuracy = f"{row['validation accuracy']:.2%}" if row["validation accuracy"] is not None else "-"
        size = row["trainable parameters"] or "-"
        print(f"#{row['trial']:<4} {row['state']:<12} {accuracy:>7}  {size:>9}  {row['architecture']}  "
              f"{row['run'] or ''}")
    front = pareto_front(study)
    print("front:", ", ".join(f"#{t.number} ({t.values[0]:.2%}, {t.values[1]:,.0f})" for t in front))


if __name__ == "__main__":
    sys.exit(main())
