"""Where a preset's training seconds go, and how far they are from the arithmetic limit.

The limit: 3 x multiply-adds per image (forward, and about twice that backward) x images per epoch x
epochs, divided by the rate of a large float32 matrix product on these cores (TensorFlow's, the
backend the training uses). The seconds: a training through the project's one path (the live
view's callbacks included), split into the first step (Keras traces the graph), the other steps,
and the validation; and each layer's forward and backward pass on one batch, timed alone.

    .venv/bin/python -m benchmarks.sprint_breakdown [preset ...]
    .venv/bin/python -m benchmarks.sprint_breakdown --candidates
    .venv/bin/python -m benchmarks.sprint_breakdown --precision
    .venv/bin/python -m benchmarks.sprint_breakdown --speed
    .venv/bin/python -m benchmarks.sprint_breakdown --seeds

The candidates: variations of "sprint" toward 99% in 4 s (one epoch, larger batches, cheaper
convolutions, the centre 20x20), each trained on 50,000 images and scored on a fixed holdout of
10,000 training images (split seed 123), never on the test set: a preset is chosen on them.

Seeds: the one epoch that reaches 99% (batch norms) and the one that is fastest (none), 5 seeds each
on the same holdout, with the medians; and what a batch norm costs per layer of the sprint's network.

Speed: what tracing costs the first step, and one epoch's seconds by batch size.

Precision: whether bfloat16 or float16 arithmetic is faster than float32 on this CPU (it depends on
the CPU: only those with AVX-512 BF16 or AMX have units for it).

Recorded in benchmarks/results/sprint_breakdown.json (medians of one run: the machine is shared).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.timing import median_seconds
from core import run_records, training
from core.architecture import ConvLayer, DenseLayer, preset
from core.data import load_mnist
from core.jobs import TrainingJob

ROOT = Path(__file__).resolve().parents[1]


def matmul_rate(dtype: str = "float32") -> float:
    """Multiply-adds per second of a 2048 x 2048 matrix product (TensorFlow, all cores)."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((2048, 2048)), dtype)
    product = tf.function(lambda: tf.reduce_sum(tf.cast(tf.matmul(a, a), tf.float32)))
    return 2048 ** 3 / median_seconds(lambda: product().numpy(), 7, warm_up=True)


def reduced_precision() -> dict:
    """Whether reduced precision could speed a training on this CPU: its matrix units (from the CPU's
    flags) and the measured rate of a matrix product and of the sprint's first convolution (a batch of
    128) in bfloat16 and float16, against float32."""
    import tensorflow as tf

    flags = next((line.split(":", 1)[1].split() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("flags")), [])
    images = tf.random.normal((128, 28, 28, 1))
    kernel = tf.random.normal((3, 3, 1, 32))
    found = {"cpu flags for reduced precision": [flag for flag in flags if flag in (
        "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16", "f16c", "avx512f", "avx2")]}
    float32_rate = matmul_rate()
    for dtype in ("bfloat16", "float16"):
        convolution = tf.function(lambda dtype=dtype: tf.reduce_sum(tf.cast(tf.nn.conv2d(
            tf.cast(images, dtype), tf.cast(kernel, dtype), 2, "VALID"), tf.float32)))
        found[f"{dtype} matmul speed vs float32"] = round(matmul_rate(dtype) / float32_rate, 3)
        in_float32 = median_seconds(lambda: tf.reduce_sum(tf.nn.conv2d(images, kernel, 2, "VALID")).numpy(),
                                    7, warm_up=True)
        found[f"{dtype} conv seconds vs float32"] = round(
            median_seconds(lambda c=convolution: c().numpy(), 7, warm_up=True) / in_float32, 2)
    return found


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

        milliseconds = median_seconds(step, 7, warm_up=True) * 1000
        found[f"{layer.name} ({type(layer).__name__})"] = round(milliseconds, 3)
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


def _sprint(epochs=1, batch=128, lr=None, conv=None, dense=None, reduction="none", **hyper):
    config = preset("sprint")
    hyper = dataclasses.replace(config.hyper, epochs=epochs, batch_size=batch,
                                learning_rate=lr or config.hyper.learning_rate, **hyper)
    return dataclasses.replace(config, hyper=hyper, conv=conv or config.conv, dense=dense or config.dense,
                               reduction=reduction)


CANDIDATES = {
    "sprint as it is (2 epochs)": _sprint(epochs=2),
    "1 epoch": _sprint(),
    "1 epoch, learning rate 0.005": _sprint(lr=0.005),
    "1 epoch, batch 256, learning rate 0.006": _sprint(batch=256, lr=0.006),
    "1 epoch, batch 64": _sprint(batch=64),
    "1 epoch, convolutions 3x3x16/2 and 3x3x32/2": _sprint(conv=[ConvLayer(16, 3, stride=2),
                                                                 ConvLayer(32, 3, stride=2)]),
    "1 epoch, the centre 20x20": _sprint(reduction="crop20"),
    "2 epochs, batch 512, learning rate 0.01": _sprint(epochs=2, batch=512, lr=0.01),
    "2 epochs, batch 256, 5x5x16/2, 3x3x32/2, dense 64": _sprint(
        epochs=2, batch=256, lr=0.006, conv=[ConvLayer(16, 5, stride=2), ConvLayer(32, 3, stride=2)],
        dense=[DenseLayer(64)]),
    # the second round: the one-epoch learning rate, Adam's betas, the schedule, and what costs little
    "1 epoch, learning rate 0.008": _sprint(lr=0.008),
    "1 epoch, learning rate 0.013": _sprint(lr=0.013),
    "1 epoch, learning rate 0.008, beta_1 0.8": _sprint(lr=0.008, beta_1=0.8),
    "1 epoch, learning rate 0.008, beta_2 0.99": _sprint(lr=0.008, beta_2=0.99),
    "1 epoch, learning rate 0.008, warm-up 10%": _sprint(lr=0.008, warmup=0.1),
    "1 epoch, learning rate 0.008, label smoothing 0.2": _sprint(lr=0.008, label_smoothing=0.2),
    "1 epoch, batch 192, learning rate 0.015": _sprint(batch=192, lr=0.015),
    "1 epoch, learning rate 0.01, dense 256": _sprint(lr=0.01, dense=[DenseLayer(256)]),
    "1 epoch, learning rate 0.01, 5x5x16/2, dense 64": _sprint(
        lr=0.01, conv=[ConvLayer(16, 5, stride=2), ConvLayer(48, 3, stride=2)], dense=[DenseLayer(64)]),
    "1 epoch, learning rate 0.01, batch norms": _sprint(
        lr=0.01, dense=[DenseLayer(128, batch_norm=True)],
        conv=[ConvLayer(24, 5, stride=2, batch_norm=True), ConvLayer(48, 3, stride=2, batch_norm=True)]),
}


# the third round: is the batch norms' 99.01% a seed's luck, and where do their seconds go
BATCH_NORMS = {"conv": [ConvLayer(24, 5, stride=2, batch_norm=True),
                        ConvLayer(48, 3, stride=2, batch_norm=True)],
               "dense": [DenseLayer(128, batch_norm=True)]}
OVER_SEEDS = {
    "1 epoch, learning rate 0.008": CANDIDATES["1 epoch, learning rate 0.008"],
    "1 epoch, learning rate 0.01, batch norms": CANDIDATES["1 epoch, learning rate 0.01, batch norms"],
    "1 epoch, learning rate 0.02, batch norms": _sprint(lr=0.02, **BATCH_NORMS),
    "1 epoch, learning rate 0.01, batch norms but not after the first convolution": _sprint(
        lr=0.01, conv=[ConvLayer(24, 5, stride=2), BATCH_NORMS["conv"][1]], dense=BATCH_NORMS["dense"]),
}


def holdout_run(config, said: str, data, seed: int = 0):
    """`config` trained with `seed` on 50,000 images, validated on the fixed holdout (a search
    trial's tag: the test set is not read)."""
    config = dataclasses.replace(config, hyper=dataclasses.replace(
        config.hyper, split_seed=123, validation_fraction=1 / 6, seed=seed))
    with tempfile.TemporaryDirectory() as folder:
        return training.train(TrainingJob(config, said, tag=f"{run_records.SEARCH_TAG}sprint:0"), data,
                              Path(folder)).record


def screen(data) -> dict:
    """Each candidate's fit seconds and its accuracy on the fixed holdout, with seed 0."""
    found = {}
    for said, config in CANDIDATES.items():
        record = holdout_run(config, said, data)
        found[said] = {"network": config.describe(), "fit seconds": round(record["training_seconds"], 2),
                       "holdout accuracy": round(record["validation_accuracy"], 4)}
        print(said, found[said], flush=True)
    return found


def over_seeds(data, seeds=range(5)) -> dict:
    """The third round's candidates with each seed: holdout accuracy, fit and first-step seconds,
    and their medians (the machine's speed moves from one fit to the next)."""
    found = {}
    for said, config in OVER_SEEDS.items():
        records = [holdout_run(config, said, data, seed) for seed in seeds]
        accuracies = [round(record["validation_accuracy"], 4) for record in records]
        seconds = [round(record["training_seconds"], 2) for record in records]
        first = [round(record["first_batches_at"] - record["training_started_at"], 2) for record in records]
        found[said] = {"network": config.describe(), "holdout accuracy by seed": accuracies,
                       "median holdout accuracy": float(np.median(accuracies)),
                       "fit seconds by seed": seconds, "median fit seconds": float(np.median(seconds)),
                       "median first step (s)": float(np.median(first))}
        print(said, found[said], flush=True)
    return found | {"seeds": list(seeds), "batch norm, forward and backward on one batch of 128 (ms)":
                    batch_norm_cost()}


def batch_norm_cost() -> dict:
    """What a batch norm adds to one training step at each of the sprint's layers: Keras's (moments,
    then the normalisation, each its own pass over the batch) and TensorFlow's fused kernel, against
    no norm (medians of 41 runs, interleaved)."""
    import keras
    import tensorflow as tf

    def step(normalise, x, weights):
        @tf.function
        def forward_and_backward():
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.square(normalise(x)))
            return tape.gradient(y, [x, *weights])
        return forward_and_backward

    found = {}
    for said, shape in {"after conv 5x5x24/2": (128, 12, 12, 24), "after conv 3x3x48/2": (128, 5, 5, 48),
                        "after dense 128": (128, 1, 1, 128)}.items():
        x, channels = tf.random.normal(shape), shape[-1]
        norm = keras.layers.BatchNormalization()
        norm.build(shape)
        scale, offset = tf.Variable(tf.ones(channels)), tf.Variable(tf.zeros(channels))
        steps = {"none": step(lambda x: x, x, []),
                 "Keras": step(lambda x, norm=norm: norm(x, training=True), x, norm.trainable_weights),
                 "fused": step(lambda x, scale=scale, offset=offset: tf.compat.v1.nn.fused_batch_norm(
                     x, scale, offset, epsilon=1e-3)[0], x, [scale, offset])}
        seconds = {name: [] for name in steps}
        for work in steps.values():
            work()
        for _ in range(41):
            for name, work in steps.items():
                started = time.perf_counter()
                work()
                seconds[name].append(time.perf_counter() - started)
        found[said] = {name: round(float(np.median(times)) * 1000, 3) for name, times in seconds.items()}
    return found


def speed(data) -> dict:
    """What no candidate can avoid: the first step's cost when the model is new (Keras traces its
    training function) against the same first step of a second fit (traced already: the data pipeline
    and the first group of steps only); and the seconds of one epoch of 60,000 images by batch size,
    after a warm-up fit (the sprint's network, Keras's own fit, three times each)."""
    import keras

    from core import preprocessing
    from core.architecture import build_model

    x, y = data.x_train, data.y_train
    statistics = preprocessing.pixel_statistics(x)
    config = preset("sprint")
    config.hyper.label_smoothing = 0.0  # integer labels, as fit gets them here

    class FirstStep(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.started, self.seconds = time.perf_counter(), None

        def on_train_batch_end(self, batch, logs=None):
            self.seconds = self.seconds or time.perf_counter() - self.started

    model, first = build_model(config, *statistics), FirstStep()
    found = {}
    for when in ("new model", "second fit"):
        model.fit(x[:20_000], y[:20_000], batch_size=128, epochs=1, verbose=0, callbacks=[first])
        found[f"first step, {when} (s)"] = round(first.seconds, 2)
    by_batch = {}
    for batch in (128, 192, 256, 384, 512, 1024):
        hyper = dataclasses.replace(config.hyper, batch_size=batch)  # Keras's steps per call with it
        model = build_model(dataclasses.replace(config, hyper=hyper), *statistics)
        model.fit(x[:3_000], y[:3_000], batch_size=batch, epochs=1, verbose=0)
        by_batch[batch] = []
        for _ in range(3):  # each, not their median: on this machine they jump between two levels
            started = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            by_batch[batch].append(round(time.perf_counter() - started, 2))
    return found | {"one epoch of 60,000 images by batch size (s)": by_batch}


def main(names: list[str]) -> None:
    data = load_mnist()
    out = ROOT / "benchmarks" / "results" / "sprint_breakdown.json"
    report = json.loads(out.read_text()) if out.exists() else {}
    # each option measures one part of the record, under its key
    options = {"--precision": ("reduced precision", reduced_precision),
               "--speed": ("speed", lambda: speed(data)),
               "--seeds": ("one epoch over 5 seeds, on the holdout", lambda: over_seeds(data)),
               "--candidates": ("candidates, on a 10,000-image holdout", lambda: screen(data))}
    if len(names) == 1 and names[0] in options:
        key, measure = options[names[0]]
        report[key] = measure() | {"measured": time.strftime("%Y-%m-%d %H:%M")}
        print(json.dumps(report[key], indent=1))
        out.write_text(json.dumps(report, indent=1) + "\n")
        return
    for name in names:
        report[name] = breakdown(name, data) | {"measured": time.strftime("%Y-%m-%d %H:%M")}
        print(name, json.dumps(report[name], indent=1), flush=True)
        out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main(sys.argv[1:] or ["sprint"])
