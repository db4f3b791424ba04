"""Which CPU levers make training faster here: seconds per epoch of each preset under each lever,
as a speed-up over the plain setting measured in the same process (this machine is shared and noisy,
so only ratios from one run mean anything).

Levers: Keras's steps_per_execution (1, 8, 32, and the training path's own choice), the batch size
(x2, x4: faster epochs, but fewer updates per epoch, so the accuracy must be checked separately),
XLA (jit_compile), a cached tf.data pipeline instead of numpy arrays, and TensorFlow's thread pools
(set before TensorFlow starts, so each setting runs in its own process).

    .venv/bin/python -m benchmarks.training_levers [preset ...]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

IMAGES = 20_000  # enough steps per epoch for a stable median, few enough for a few minutes in all
EPOCHS = 3  # the first one traces the graph and is left out
THREADS = {"default": None, "intra 2, inter 1": (2, 1), "intra 1, inter 1": (1, 1)}
DEFAULT_PRESETS = ("given", "best", "mlp", "sprint", "conv")


def measure(preset_names: list[str], threads: tuple[int, int] | None, all_levers: bool) -> dict:
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads[0])
        tf.config.threading.set_inter_op_parallelism_threads(threads[1])
    from core import architecture, preprocessing
    from core.data import load_mnist

    data = load_mnist()
    results = {}
    for name in preset_names:
        config = architecture.preset(name)
        config.hyper.train_images = IMAGES
        x, y, _, _ = preprocessing.training_split(data.x_train, data.y_train, config.hyper)
        y = architecture.targets(config, y)
        levers = {"plain (1 step per call)": {"steps": 1}}
        if all_levers:
            levers |= {
                "steps_per_execution 8": {"steps": 8},
                "steps_per_execution 32": {"steps": 32},
                f"training path's choice ({architecture.steps_per_execution(config)})":
                    {"steps": architecture.steps_per_execution(config)},
                "batch x2": {"steps": 1, "batch": 2 * config.hyper.batch_size},
                "batch x4": {"steps": 1, "batch": 4 * config.hyper.batch_size},
                "jit_compile (XLA)": {"steps": 1, "jit": True},
                "cached tf.data": {"steps": 1, "dataset": True},
            }
        seconds = {lever: _epoch_seconds(config, x, y, data, **settings)
                   for lever, settings in levers.items()}
        plain = seconds["plain (1 step per call)"]
        results[name] = {lever: {"s_per_epoch": round(value, 3), "speedup": round(plain / value, 3)}
                         for lever, value in seconds.items()}
        print(name, json.dumps(results[name]), file=sys.stderr, flush=True)
    return results


def _epoch_seconds(config, x, y, data, steps: int, batch: int | None = None, jit: bool = False,
                   dataset: bool = False) -> float:
    import keras
    import tensorflow as tf

    from benchmarks.training_overhead import EpochTimer  # after the thread pools are set
    from core import architecture, preprocessing

    keras.utils.set_random_seed(0)
    model = architecture.build_model(config, *preprocessing.pixel_statistics(x))
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                  steps_per_execution=steps, jit_compile=jit)
    batch = batch or config.hyper.batch_size
    timer = EpochTimer()
    if dataset:
        inputs = tf.data.Dataset.from_tensor_slices((x, y)).cache().shuffle(len(x), seed=0) \
            .batch(batch).prefetch(tf.data.AUTOTUNE)
        model.fit(inputs, epochs=EPOCHS, callbacks=[timer], verbose=0)
    else:
        model.fit(x, y, batch_size=batch, epochs=EPOCHS, callbacks=[timer], verbose=0)
    return statistics.median(timer.seconds[1:])


def main(preset_names: list[str]) -> None:
    report = {"images": IMAGES, "epochs_measured": EPOCHS - 1, "cpus": os.cpu_count(), "threads": {}}
    for label, threads in THREADS.items():  # a process each: thread pools are fixed at start
        worker = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps([preset_names, threads, label == "default"])],
            check=True, stdout=subprocess.PIPE, text=True)
        report["threads"][label] = json.loads(worker.stdout)
    default = report["threads"]["default"]
    for results in report["threads"].values():  # each thread setting against the default's
        for name, levers in results.items():  # plain fit, from different processes: informational
            plain = levers["plain (1 step per call)"]
            plain["vs default threads"] = round(
                default[name]["plain (1 step per call)"]["s_per_epoch"] / plain["s_per_epoch"], 3)
    out = ROOT / "benchmarks" / "results" / "training_levers.json"
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        names, threads, all_levers = json.loads(sys.argv[2])
        print(json.dumps(measure(names, tuple(threads) if threads else None, all_levers)))
    else:
        main(sys.argv[1:] or list(DEFAULT_PRESETS))
