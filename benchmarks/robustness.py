"""How long the Robustness page's numbers take, and what they are, for the "sprint" and "mlp" presets
trained here on the real MNIST: a 9-point strength curve of each distortion on the 10,000 test
digits, an FGSM curve of 7 epsilons on the 10,000, and a PGD curve on the first 1,000 (each the median
of 3 timings in one run: this machine is shared and noisy).

    .venv/bin/python -m benchmarks.robustness

Recorded in benchmarks/results/robustness.json. Goals (issue 27): a strength curve <= 3 s, an FGSM
curve <= 6 s for sprint, PGD on 1,000 digits <= 60 s.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

from core import robustness, runs, training
from core.architecture import predict_probabilities, preset
from core.data import load_mnist
from core.jobs import TrainingJob

ROOT = Path(__file__).resolve().parents[1]


def timed(work, times: int = 3):
    seconds, result = [], None
    for _ in range(times):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds), 2), result


def measured(model, images, labels) -> dict:
    """One network's numbers and their seconds."""
    predict = lambda batch: predict_probabilities(model, batch)  # noqa: E731
    entry = {"clean test accuracy": round(robustness.accuracy(predict, images, labels), 4)}
    for kind in robustness.DISTORTIONS:
        seconds, curve = timed(lambda kind=kind: robustness.strength_curve(predict, images, labels, kind), 1)
        entry[f"{kind} curve"] = {"seconds": seconds, "accuracy": {f"{x:g}": round(a, 4) for x, a in curve}}
    seconds, curve = timed(lambda: robustness.attack_curve(model, predict, images, labels))
    entry["fgsm curve (10,000 digits)"] = {"seconds": seconds,
                                           "accuracy": {f"{e:g}": round(a, 4) for e, a in curve}}
    seconds, curve = timed(lambda: robustness.attack_curve(model, predict, images[:1000], labels[:1000],
                                                           robustness.PGD_STEPS), 1)
    entry["pgd curve (1,000 digits)"] = {"seconds": seconds,
                                         "accuracy": {f"{e:g}": round(a, 4) for e, a in curve}}
    return entry


def main() -> None:
    mnist = load_mnist()
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("sprint", "mlp"):
            run = training.train(TrainingJob(preset(name), name), mnist, Path(folder))
            report[name] = measured(runs.load_model(run), mnist.x_test, mnist.y_test)
            print(name, json.dumps(report[name], indent=1), flush=True)
    (ROOT / "benchmarks" / "results" / "robustness.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
