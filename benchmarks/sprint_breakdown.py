"""Where a preset's training seconds go, and how far they are from the arithmetic limit.

The limit: 3 x multiply-adds per image (forward, and about twice that backward) x images per epoch x
epochs, divided by the rate of a large float32 matrix product on these cores (TensorFlow's, the
backend the training uses). The seconds: a training through the project's one path (the live
view's callbacks included), split into the first step (Keras traces the graph), the other steps,
and the validation; and each layer's forward and backward pass on one batch, timed alone.

    .venv/bin/python -m benchmarks.sprint_breakdown [preset ...]

Recorded in benchmarks/results/sprint_breakdown.json (medians of one run: the machine is shared).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from core import training
from core.architecture import preset
from core.data import load_mnist
from core.jobs import TrainingJob

ROOT = Path(__file__).resolve().parents[1]


def _median_seconds(work, times: int = 7) -> float:
    work()  # traced and warmed
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def matmul_rate() -> float:
    """Multiply-adds per second of a 2048 x 2048 float32 matrix product (TensorFlow, all cores)."""
    import tensorflow as tf

    a = tf.random.normal((2048, 2048))
    product = tf.function(lambda: tf.reduce_sum(tf.matmul(a, a)))
    return 2048 ** 3 / _median_seconds(lambda: product().numpy())


def layer_seconds(model, batch: int) -> dict[str, float]:
    """Each layer's forward and backward pass on one batch of its own input's shape, alone."""
    import tensorflow as tf

    found = {}
    for layer in model.layers[1:]:
        shape = (batch, *layer.input.shape[1:])
        x = tf.random.normal(shape)

        @tf.function
        def step(x=x, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(layer(x, training=True))
            return tape.gradient(y, [x, *layer.trainable_weights])

        found[f"{layer.name} ({type(layer).__name__})"] = round(_median_seconds(step) * 1000, 3)
    return found


def breakdown(name: str, data) -> dict:
    config = preset(name)
    with tempfile.TemporaryDirectory() as folder:
        run = training.train(TrainingJob(config, name), data, Path(folder))
        from core import runs

        model = runs.load_model(run)
    record, hyper = run.record, config.hyper
    images = record["train_size"]
    rate = matmul_rate()
    limit = 3 * config.multiply_adds() * images * hyper.epochs / rate
    first_step = record["first_batches_at"] - record["training_started_at"]
    layers = layer_seconds(model, hyper.batch_size)
    steps = config.steps_per_epoch() * hyper.epochs
    return {
        "network": config.describe(), "epochs": hyper.epochs, "batch": hyper.batch_size,
        "training seconds (fit)": round(record["training_seconds"], 2),
        "test accuracy": record["test_accuracy"],
        "multiply-adds per image": config.multiply_adds(),
        "matmul rate (G multiply-adds/s)": round(rate / 1e9, 1),
        "arithmetic limit (s)": round(limit, 2),
        "ratio to the limit": round(record["training_seconds"] / limit, 1),
        "first step, tracing included (s)": round(first_step, 2),
        "epoch seconds": [round(s, 2) for s in record["epoch_seconds"]],
        "layers, forward and backward on one batch (ms)": layers,
        "layers' sum over all steps (s)": round(sum(layers.values()) * steps / 1000, 2),
    }


def main(names: list[str]) -> None:
    data = load_mnist()
    out = ROOT / "benchmarks" / "results" / "sprint_breakdown.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    for name in names:
        report[name] = breakdown(name, data) | {"measured": time.strftime("%Y-%m-%d %H:%M")}
        print(name, json.dumps(report[name], indent=1), flush=True)
        out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main(sys.argv[1:] or ["sprint"])
