"""The architecture search against its targets, on the full data, through the project's training path.

    .venv/bin/python -m benchmarks.architecture_search [dense] [conv] [tiny99 --minutes N]

dense: 30 minutes of search over fully-connected networks (parameter-free input reductions allowed,
no convolutions); targets: >= 95.0% test accuracy with <= 9,000 parameters, and the smallest found at
>= 98.0%. conv: 60 minutes over small convnets; target: >= 99.0% test accuracy with <= 2,000
parameters. tiny99: a kept study, continued N minutes at a time (135 in all, after an earlier one
of 41), over convnets with blocks shared across depth; target: >= 99.0% with <= 1,500 trainable
parameters. Chosen honestly: trials never read the test set; each winner is the smallest trial whose
validation accuracy (on the same 10,000 held-out training images for every trial) reaches the
target. Only then is the test set read, for the winner, and it is retrained with four more seeds;
the median of its five seeds' test accuracies is recorded (benchmarks/results/architecture_search.json),
with the whole trial table. A winner whose median falls short is followed by the most accurate trial
(on validation) within the target's size, retrained the same way: one seed's luck is not a result.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.seeds import trained_with_seeds
from core import runs, search
from core.data import load_mnist
from core.trainings.local import LocalTrainings

ROOT = Path(__file__).resolve().parents[1]

SEARCHES = {
    "dense": {"minutes": 30, "targets": [(0.95, 9_000), (0.98, None)],
              "space": search.SearchSpace(
                  kind="dense", min_layers=1, max_layers=4, min_width=4, max_width=512, max_dropout=0.2,
                  min_learning_rate=1e-3, max_learning_rate=2e-2, epochs=12)},
    # From a look at tiny convnets: batch normalisation, no label smoothing and no random shifts
    # serve networks this small best, and depthwise separable convolutions after the first give
    # them room (full 3x3 ones reached 98.1% at 1,762 parameters in an hour, separable ones 99.1% at
    # 1,978 in one try); the whole image did better than the 20x20 crop. So the space spends its
    # minutes on the shapes of separable convnets under the cap. Its first try without the cost
    # cap spent over 6 minutes on one network that never pooled (681,000 multiply-adds per image; the
    # 1,978-parameter one that reached 99.1% needs 189,000, about 8 s an epoch). Tries at 15 epochs
    # under a 200,000 cap trained 14 networks in 32 minutes, none above 98.9%: the ones with a
    # layer of 8 filters or a second pooling were the weakest, so layers start at 10 filters and the
    # cap leaves room for three separable layers on the 12x12 maps (as in that 99.1% one). At 20
    # epochs two searches from seed 0 reached 98.98% and 98.96% (with the same network, trial 76,
    # at 98.98% and 98.75%: one seed's spread is that wide), and TPE settled on 3x3 kernels, a second
    # pooling and 1,200-1,400 parameters. At 25 epochs (layers from 12 filters, seed 1) the best
    # of 21 reached 98.91%, all of the top 20 within 98.58-98.91%: the shapes were not what held them
    # back. Retrained at 50 epochs, that best one reached 98.74% as it was and 99.06% with random
    # shifts of up to 5% (1.4 pixels): networks this small need the longer training and the shifts
    # together. So 50 epochs, shifts of 5% or 10%, four layers (no fifth fitted under the cap).
    # Measured so: 8 trained in 60 minutes, of which one of 1,904 parameters at 99.14% (3 seeds).
    "conv": {"minutes": 60, "targets": [(0.99, 2_000)],
             "space": search.SearchSpace(
                 kind="conv", min_layers=4, max_layers=4, min_width=12, max_width=32, separable=[True],
                 reductions=["none"], batch_norm=[True], max_dropout=0.0, min_learning_rate=5e-3,
                 max_learning_rate=2e-2, batch_sizes=[128], shifts=[0.05, 0.1], label_smoothing=[0.0],
                 epochs=50, max_parameters=2_000, max_multiply_adds=250_000, seed=2)},
    # Under 1,500 parameters (issue #28): a study kept in the runs folder's storage, continued across
    # sessions (`--minutes` more each time; 135 in all, 180 with the earlier study). The earlier study,
    # over four-layer separable convnets of 8-16 filters without shared blocks (41 minutes, 3 trained),
    # reached 97.45% at most:
    # every network it trained averaged 8 or 9 maps globally. The references' small networks average
    # many maps (ruslangrimov/mnist-minimal-model: 26, from one block applied three times), so this
    # space offers shared blocks and wider layers, and starts from that reference's shape (one full
    # convolution and a pooling, then a separable one and a block shared across depth) and from
    # small99's, narrower.
    "tiny99": {"minutes": 135, "targets": [(0.99, 1_500)], "study": "tiny99-shared",
               "start_from": [{"layers": 3, "filters_1": 8, "pool_1": True, "repeat_2": 1, "filters_2": 24,
                               "pool_2": False, "repeat_3": 2, "pool_3": False, "global_pool": True,
                               "learning_rate": 0.01, "shift": 0.05},
                              # and small99's shape, narrower: flattened 2x2 maps, not averaged ones
                              {"layers": 4, "filters_1": 8, "pool_1": True, "repeat_2": 1, "filters_2": 12,
                               "pool_2": False, "repeat_3": 1, "filters_3": 12, "pool_3": True,
                               "filters_4": 10, "pool_4": False, "global_pool": False, "learning_rate": 0.01,
                               "shift": 0.05},
                              # added after the first reached 98.65% (its training accuracy 99.0%: too
                              # little capacity): the shared block pooled to 3x3, read by a last separable
                              # convolution that leaves 1x1 maps, instead of their average
                              {"layers": 4, "filters_1": 8, "pool_1": True, "repeat_2": 1, "filters_2": 20,
                               "pool_2": False, "repeat_3": 2, "pool_3": True, "filters_4": 12,
                               "global_pool": False, "learning_rate": 0.01, "shift": 0.05},
                              # and after that one reached 98.66% (training 98.9%): 16 maps from the
                              # first layer on (small99 has 13; these three had 8), the shared block on
                              # 13x13 maps, the same head
                              # (98.85%, the best so far; trained 80 epochs instead of 40 on the same
                              # holdout it reached 98.82%, training 99.2%: its size holds it back, not
                              # the length of its training)
                              {"layers": 4, "filters_1": 16, "pool_1": True, "repeat_2": 2, "repeat_3": 1,
                               "filters_3": 16, "pool_3": True, "filters_4": 12, "global_pool": False,
                               "learning_rate": 0.01, "shift": 0.05},
                              # after 51.5 minutes: the best one's block applied three times, its maps
                              # averaged; and JoshWarn/Parameter-Efficient-MNIST's idea (697 parameters:
                              # five convolutions, the last maps averaged) with the room to spare in
                              # one wide shared block
                              {"layers": 4, "filters_1": 16, "pool_1": True, "repeat_2": 3, "repeat_3": 1,
                               "filters_3": 16, "filters_4": 12, "pool_4": False, "global_pool": True,
                               "learning_rate": 0.01, "shift": 0.05},
                              {"layers": 3, "filters_1": 12, "pool_1": True, "repeat_2": 1, "filters_2": 20,
                               "pool_2": False, "repeat_3": 3, "pool_3": False, "global_pool": True,
                               "learning_rate": 0.01, "shift": 0.05},
                              # after that one reached 98.78% at 1,298 parameters: wider to the cap; and
                              # the best one with larger shifts
                              {"layers": 3, "filters_1": 14, "pool_1": True, "repeat_2": 1, "filters_2": 21,
                               "pool_2": False, "repeat_3": 3, "pool_3": False, "global_pool": True,
                               "learning_rate": 0.01, "shift": 0.05},
                              {"layers": 4, "filters_1": 16, "pool_1": True, "repeat_2": 2, "repeat_3": 1,
                               "filters_3": 16, "pool_3": True, "filters_4": 12, "global_pool": False,
                               "learning_rate": 0.01, "shift": 0.1}],
               "space": search.SearchSpace(
                   kind="conv", min_layers=3, max_layers=4, min_width=8, max_width=24, kernel_sizes=[3],
                   separable=[True], plain_norm=[True], repeats=[1, 2, 3], reductions=["none"],
                   batch_norm=[True], max_dropout=0.0, min_learning_rate=3e-3, max_learning_rate=2e-2,
                   batch_sizes=[128], shifts=[0.05, 0.1], label_smoothing=[0.0], epochs=40,
                   max_parameters=1_500, max_multiply_adds=250_000, seed=5)},
}
MINUTES_ATTR = "benchmark_minutes"  # the minutes of search a kept study has had
EARLIER = "earlier study"  # a kept study's record of the one before it, kept as it was
ENDED_ATTR = "benchmark_ended"  # set once a kept study's choice was tested: it is searched no more


def run_search(kind: str, data, minutes: float | None = None, workers: int = 1, final: bool = False) -> dict:
    """A search of SEARCHES[kind], in a temporary storage, or in the runs folder's if it names a study
    to keep (then `minutes` more of it, within its budget, ended when `final` or the budget is spent),
    and its winners confirmed."""
    setup = SEARCHES[kind]
    if "study" not in setup:
        with tempfile.TemporaryDirectory() as folder:
            study = search.create_study(f"benchmark-{kind}", setup["space"], f"sqlite:///{folder}/search.sqlite3")
            return _searched(study, setup, setup["minutes"], data, folder, workers, final=True)
    storage = search.default_storage()
    if setup["study"] in search.study_names(storage):
        study = search.load_study(setup["study"], storage)
    else:
        study = search.create_study(setup["study"], setup["space"], storage)
    if study.user_attrs.get(ENDED_ATTR):
        raise SystemExit(f"study {setup['study']!r} ended: its choice was tested, so searching on would "
                         "choose with the test set's help")
    # each starting point once, whenever it joined the list
    tried = [trial.system_attrs.get("fixed_params", trial.params) for trial in study.trials]
    for params in setup["start_from"]:
        if not any(params.items() <= drawn.items() for drawn in tried):
            study.enqueue_trial(params)
    spent = study.user_attrs.get(MINUTES_ATTR, 0.0)
    # its runs kept beside it, where the Runs page shows them and the chosen one is tested later
    more = min(minutes or 0.0, setup["minutes"] - spent)
    final = final or spent + more >= setup["minutes"]
    report = _searched(study, setup, more, data, str(runs.runs_dir()), workers, final)
    spent += report["minutes_of_search"]
    study.set_user_attr(MINUTES_ATTR, spent)
    return report | {"study": setup["study"], "minutes_of_search": round(spent, 1),
                     "started_from": setup["start_from"]}


def _searched(study, setup: dict, minutes: float, data, folder: str, workers: int, final: bool) -> dict:
    """`minutes` of search by `workers` processes (this one and helpers on the same storage: these
    trainings keep one core busy each), then the winners: the smallest trial reaching each target
    on validation; when the search is `final` and none reached it, the most accurate within the
    size. Only then is the test set read."""
    started = time.time()
    if minutes > 0:
        helper = [sys.executable, "-m", "core.search", "worker", "--study", study.study_name,
                  "--storage", search.default_storage(), "--minutes", str(minutes)]
        helpers = [subprocess.Popen(helper, cwd=ROOT) for _ in range(workers - 1)] if "study" in setup else []
        search.work(study, LocalTrainings(data, Path(folder)), minutes=minutes)
        for helper in helpers:  # their last trials finish too
            helper.wait()
    minutes = (time.time() - started) / 60
    rows = search.trial_rows(study)
    winners = []  # computed while the study's folder exists: nothing here outlives it
    for target in setup["targets"]:
        def confirmed(trial, target=target):
            return _winner(study, trial, target, started, data, folder, workers)
        trial = search.smallest_reaching(study, target[0])
        runner_up = _most_accurate(study, target[1])
        if trial is None and final and runner_up:
            winners.append(confirmed(runner_up)
                           | {"role": "most accurate in size (none reached the target on validation)"})
            continue
        winners.append(confirmed(trial))
        if trial and not winners[-1]["met"] and runner_up and runner_up.number != trial.number:
            winners.append(confirmed(runner_up) | {"role": "most accurate in size"})
    if "study" in setup and any(winner.get("trial") is not None for winner in winners):
        study.set_user_attr(ENDED_ATTR, True)
    front = [trial.number for trial in search.pareto_front(study)]
    return {"space": search.study_space(study).to_dict(), "minutes_of_search": round(minutes, 1),
            "trials": len(rows), "results": sum(r["state"] == "result" for r in rows),
            "not_trained": _not_trained(rows), "winners": winners, "front": front,
            "table": [row for row in rows if not row["state"].startswith(NOT_TRAINED)]}


NOT_TRAINED = ("impossible", "not trained")  # the outcomes of draws that were never trained


def _not_trained(rows: list[dict]) -> dict:
    """How many draws were not trained, by reason (they are too many to list one by one)."""
    reasons = {"impossible": 0, "over the parameter cap": 0, "over the multiply-add cap": 0}
    for row in rows:
        if row["state"].startswith("impossible"):
            reasons["impossible"] += 1
        elif row["state"].startswith("not trained"):
            reasons["over the multiply-add cap" if "multiply-adds" in row["state"]
                    else "over the parameter cap"] += 1
    return reasons


def _most_accurate(study, most_parameters: int | None):
    """The completed trial with the best validation accuracy within the size, or None."""
    within = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"
              and (most_parameters is None or t.values[1] <= most_parameters)]
    return max(within, key=lambda t: t.values[0], default=None)


def _winner(study, trial, target: tuple, started: float, data, folder: str, workers: int) -> dict:
    accuracy, most_parameters = target
    if trial is None:
        return {"target": accuracy, "most_parameters": most_parameters, "found": None, "met": False}
    config = search.trial_config(study, trial)
    tested = search.test_chosen(study, trial, data, Path(folder))  # the test set's one reading for it
    seeds = [{"seed": config.hyper.seed, "test_accuracy": tested}]
    # the same network and settings, four other seeds (the same holdout), `workers` at a time
    other_seeds = [config.hyper.seed + 1000 * extra for extra in (1, 2, 3, 4)]
    confirming = time.time()
    for seed, record in zip(other_seeds, trained_with_seeds(config, other_seeds, workers)):
        seeds.append({"seed": seed, "test_accuracy": record["test_accuracy"]})
        print(json.dumps(seeds[-1]), flush=True)
    parameters = int(trial.values[1])
    median = statistics.median(s["test_accuracy"] for s in seeds)
    # negative for a kept study's trial found in an earlier run: then not said
    found_at = (trial.datetime_complete.timestamp() - started) / 60
    return {"target": accuracy, "most_parameters": most_parameters, "trial": trial.number,
            "architecture": trial.user_attrs["architecture"], "trainable_parameters": parameters,
            "parameters_keras": trial.user_attrs["parameters"], "config": config.to_dict(),
            "validation_accuracy_found": trial.values[0], "chosen_on": "validation", "seeds": seeds,
            "median_test_accuracy": round(median, 4),
            "minutes_of_confirmation": round((time.time() - confirming) / 60, 1),
            "met": bool(median >= accuracy and (most_parameters is None or parameters <= most_parameters)),
            **({"minutes_into_search": round(found_at, 1)} if found_at >= 0 else {})}


def main(kinds: list[str], minutes: float | None, workers: int, final: bool) -> None:
    data = load_mnist()
    out = ROOT / "benchmarks" / "results" / "architecture_search.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    for kind in kinds:
        kept = {key: value for key, value in report.get(kind, {}).items() if key == EARLIER}
        report[kind] = run_search(kind, data, minutes, workers, final) | kept | {
            "workers": workers, "measured": time.strftime("%Y-%m-%d %H:%M")}
        out.write_text(json.dumps(report, indent=1, default=str) + "\n")
        for winner in report[kind]["winners"]:
            print(kind, json.dumps({k: v for k, v in winner.items() if k != "config"}), flush=True)


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description="the architecture search against its targets")
    arguments.add_argument("kinds", nargs="*", default=list(SEARCHES), help=", ".join(SEARCHES))
    arguments.add_argument("--minutes", type=float, default=None,
                           help="minutes more of a kept study's search (0: choose and confirm only)")
    arguments.add_argument("--workers", type=int, default=1,
                           help="trainings at a time, each a process (one core each: these are small)")
    arguments.add_argument("--final", action="store_true",
                           help="end a kept study: choose on validation, then test (it is searched no more)")
    parsed = arguments.parse_args()
    main(parsed.kinds, parsed.minutes, parsed.workers, parsed.final)
