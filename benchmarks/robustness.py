"""How long the Robustness page's numbers take, and what they are, for the "sprint", "conv" and
"mlp" presets trained here on the real MNIST, and for sprint trained again with distortions (the
page's "Train it again with these distortions"): MNIST-C (made once, in a fresh folder, its seconds
per corruption; each run evaluated on all fifteen), a 9-point strength curve of each distortion on
the 10,000 test digits, an FGSM curve of 7 epsilons on the 10,000, and a PGD curve on the first
1,000 (FGSM the median of 3 timings in one run: this machine is shared and noisy); and how much this
process's memory grows with the corruptions in use.

    .venv/bin/python -m benchmarks.robustness

Recorded in benchmarks/results/robustness.json. Goals (issue 27): MNIST-C on all fifteen <= 8 s for
sprint and <= 15 s for conv, a strength curve <= 3 s, an FGSM curve <= 6 s for sprint, PGD on
1,000 digits <= 60 s, memory +200 MB at most.
"""

from __future__ import annotations

import gc
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

from benchmarks.timing import timed
from core import corruptions, mnist_c, robustness, runs, training
from core.architecture import predict_probabilities, preset
from core.data import load_mnist
from core.jobs import TrainingJob

ROOT = Path(__file__).resolve().parents[1]
PAGE_SAMPLE = 2000  # the test digits the Robustness page uses unless told otherwise


def measured(model, images, labels) -> dict:
    """One network's numbers and their seconds."""
    predict = lambda batch: predict_probabilities(model, batch)  # noqa: E731
    entry = {"clean test accuracy": round(robustness.accuracy(predict, images, labels), 4)}
    for kind in robustness.DISTORTIONS:
        seconds, curve = timed(lambda kind=kind: robustness.strength_curve(predict, images, labels, kind), 1)
        on_page, _ = timed(lambda kind=kind: robustness.strength_curve(predict, images[:PAGE_SAMPLE],
                                                                       labels[:PAGE_SAMPLE], kind), 1)
        entry[f"{kind} curve"] = {"seconds": round(seconds, 2),
                                  f"seconds on the page's {PAGE_SAMPLE:,} digits": round(on_page, 2),
                                  "accuracy": {f"{x:g}": round(a, 4) for x, a in curve}}
    seconds, curve = timed(lambda: robustness.attack_curve(model, predict, images, labels))
    entry["fgsm curve (10,000 digits)"] = {"seconds": round(seconds, 2),
                                           "accuracy": {f"{e:g}": round(a, 4) for e, a in curve}}
    seconds, curve = timed(lambda: robustness.attack_curve(model, predict, images[:1000], labels[:1000],
                                                           robustness.PGD_STEPS), 1)
    entry["pgd curve (1,000 digits)"] = {"seconds": round(seconds, 2),
                                         "accuracy": {f"{e:g}": round(a, 4) for e, a in curve}}
    return entry


def on_mnist_c(model, folder: Path, labels: np.ndarray) -> dict:
    """One network on all fifteen corruptions: the seconds of the lot (as the page computes them,
    from the memory-mapped files, in batches), each accuracy, their mean and the worst."""
    predict = lambda batch: predict_probabilities(model, batch)  # noqa: E731
    started = time.perf_counter()
    scores = {name: robustness.accuracy(predict, mnist_c.load(folder, name), labels)
              for name in corruptions.CORRUPTIONS}
    seconds = time.perf_counter() - started
    worst = min(scores, key=scores.get)
    return {"seconds for all fifteen": round(seconds, 2), "mean accuracy": round(float(np.mean(list(
        scores.values()))), 4), "mean corruption error": round(1 - float(np.mean(list(scores.values()))), 4),
        "worst": f"{worst} ({scores[worst]:.2%})", "accuracy": {k: round(v, 4) for k, v in scores.items()}}


def main() -> None:
    mnist = load_mnist()
    process = psutil.Process()
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        made = mnist_c.make(Path(folder) / "mnist-c", mnist.x_test)
        report["mnist-c making"] = {"seconds per corruption": made.seconds,
                                    "seconds in all": round(sum(made.seconds.values()), 1)}
        print(json.dumps(report, indent=1), flush=True)
        configs = {name: preset(name) for name in ("sprint", "conv", "mlp")}
        configs["sprint again with distortions"] = robustness.augmented(preset("sprint"))
        models = {}
        for name, config in configs.items():
            run = training.train(TrainingJob(config, name), mnist, Path(folder))
            models[name] = runs.load_model(run)
            report[name] = {"training seconds": round(run.record["training_seconds"], 1)}
        for model in models.values():  # warm: what the page's clean numbers already cost
            predict_probabilities(model, mnist.x_test)
        gc.collect()
        before = process.memory_info().rss
        for name, model in models.items():
            report[name]["mnist-c"] = on_mnist_c(model, Path(folder) / "mnist-c", mnist.y_test)
        report["memory growth with MNIST-C in use (MB)"] = round((process.memory_info().rss - before) / 2**20)
        for name, model in models.items():
            report[name] |= measured(model, mnist.x_test, mnist.y_test)
            print(name, json.dumps(report[name], indent=1), flush=True)
    (ROOT / "benchmarks" / "results" / "robustness.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
