"""The networks offered by name: the classic analysis's three, kept as they were; three tuned for
a 2-core CPU; and the smallest the architecture search found for its targets.

Each description states what a preset is; what it measured (test accuracy, seconds of training, by
benchmarks/preset_accuracy.py) is read from that benchmark's record, so that a re-measurement
changes the numbers shown without an edit here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from core.architecture.config import (
    HOLDOUT_IMAGES,
    TRAIN_IMAGES,
    ConvLayer,
    DenseLayer,
    Hyperparameters,
    TrainingConfig,
)

logger = logging.getLogger(__name__)

MEASURED = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "preset_accuracy.json"

PRESETS: dict[str, TrainingConfig] = {
    # The three networks of the classic analysis, and a small convnet.
    "given": TrainingConfig(
        preset="given", dense=[DenseLayer(128)],
        hyper=Hyperparameters(optimizer="sgd", learning_rate=0.05, batch_size=128, epochs=10)),
    "compact": TrainingConfig(
        preset="compact", dense=[DenseLayer(13), DenseLayer(128)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.001, batch_size=32, epochs=13)),
    "best": TrainingConfig(
        preset="best",
        dense=[DenseLayer(256, batch_norm=True), DenseLayer(128, batch_norm=True),
               DenseLayer(64, batch_norm=True)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.001, batch_size=256, epochs=10)),
    # Beside them, networks tuned for this 2-core CPU (benchmarks/preset_accuracy.py measures them):
    # strided convolutions shrink the image at a quarter of the work of a convolution and a pooling,
    # and a one-cycle schedule with Adam's low betas learns fast (as in tuomaso/train_mnist_fast).
    "sprint": TrainingConfig(
        preset="sprint",
        conv=[ConvLayer(24, 5, stride=2), ConvLayer(48, 3, stride=2)],  # no batch norm: 25% faster
        dense=[DenseLayer(128)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.003, schedule="one-cycle", beta_1=0.7,
                              beta_2=0.9, label_smoothing=0.1, batch_size=128, epochs=2,
                              validation_fraction=0.02)),
    "conv": TrainingConfig(
        preset="conv",
        conv=[ConvLayer(32, 5, batch_norm=True, stride=2), ConvLayer(64, 3, batch_norm=True, stride=2)],
        dense=[DenseLayer(256, batch_norm=True, dropout=0.3)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.003, schedule="one-cycle", beta_1=0.7,
                              beta_2=0.9, label_smoothing=0.1, shift=0.1, batch_size=128, epochs=10,
                              validation_fraction=0.05)),
    "mlp": TrainingConfig(
        preset="mlp",
        dense=[DenseLayer(512, dropout=0.2), DenseLayer(512, dropout=0.2)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.002, schedule="one-cycle",
                              label_smoothing=0.1, shift=0.1, batch_size=128, epochs=9,
                              validation_fraction=0.02)),
    # Found by the architecture search (benchmarks/architecture_search.py): the smallest networks
    # that reached their targets in its 30 (fully connected) and 60 (convnet) minutes on 2 cores.
    "small95": TrainingConfig(
        preset="small95", reduction="pool2", dense=[DenseLayer(17, batch_norm=True, dropout=0.05)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.014652, schedule="one-cycle",
                              label_smoothing=0.1, batch_size=256, epochs=12)),
    "small99": TrainingConfig(
        preset="small99",
        conv=[ConvLayer(13, 5, batch_norm=True, max_pool=True),
              ConvLayer(12, 3, batch_norm=True, separable=True),
              ConvLayer(12, 3, batch_norm=True, max_pool=True, separable=True),
              ConvLayer(15, 3, batch_norm=True, separable=True)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.009364, schedule="one-cycle", shift=0.05,
                              batch_size=128, epochs=50)),
    # The kept tiny99 study's choice on validation, as its trial trained it (benchmarks/
    # architecture_search.py): a block applied twice with the same weights, norms without
    # parameters, and the 10,000 training images it was chosen on held out
    "tiny99": TrainingConfig(
        preset="tiny99",
        conv=[ConvLayer(16, 3, batch_norm=True, max_pool=True, plain_norm=True),
              ConvLayer(16, 3, batch_norm=True, separable=True, plain_norm=True, repeat=2),
              ConvLayer(16, 3, batch_norm=True, max_pool=True, separable=True, plain_norm=True),
              ConvLayer(12, 3, batch_norm=True, separable=True, plain_norm=True)],
        hyper=Hyperparameters(optimizer="adam", learning_rate=0.01, schedule="one-cycle", shift=0.05,
                              batch_size=128, epochs=40, validation_fraction=HOLDOUT_IMAGES / TRAIN_IMAGES,
                              split_seed=0)),
}
WHAT_THEY_ARE = {
    "given": "Dense 128 relu, SGD lr 0.05: the classic analysis's first network",
    "compact": "Dense 13 > 128, Adam, batch 32: few parameters, nearly as good",
    "best": "Dense 256 > 128 > 64 with batch normalisation, Adam, batch 256",
    "sprint": "Two strided convolutions, 2 epochs",
    "conv": "Two strided convolutions, random shifts, 10 epochs",
    "mlp": "Dense 512 > 512 with dropout, random shifts, 9 epochs",
    "small95": "Smallest ≥ 95%, found by the architecture search: 2x2 average pooling > 17 BN, 3,597 "
               "parameters (compact: 13,287)",
    "small99": "Convnet ≥ 99% under 2,000 parameters, found by the architecture search: four "
               "convolutions (three separable), 1,904 trainable parameters",
    "tiny99": "Convnet under 1,500 parameters, found by the architecture search: four convolutions "
              "(three separable, one applied twice with the same weights), 1,470 trainable parameters",
    "custom": "Your own fully-connected stack",
}


def _descriptions() -> dict[str, str]:
    """Each preset in words, with what it measured where the benchmark's record says."""
    try:
        measured = json.loads(MEASURED.read_text())
    except (OSError, ValueError) as error:  # a copy without the benchmarks: the words alone
        logger.warning("preset measurements not read (%s): descriptions without numbers", error)
        measured = {}
    descriptions = {}
    for name, words in WHAT_THEY_ARE.items():
        record = measured.get(name, {})
        # medians of 5 seeds where measured so, means of the 3 of older records
        accuracy = record.get("median_test_accuracy", record.get("mean_test_accuracy"))
        seconds = record.get("median_training_seconds", record.get("mean_training_seconds"))
        if isinstance(accuracy, (int, float)) and isinstance(seconds, (int, float)):
            words += f": {accuracy:.2%} test after {seconds:.0f} s of training"
        descriptions[name] = words
    return descriptions


PRESET_DESCRIPTIONS = _descriptions()


def preset(name: str) -> TrainingConfig:
    """A fresh copy of a preset, safe to edit."""
    return TrainingConfig.from_dict(PRESETS[name].to_dict())


# How a changed setting is said in a table: "learning rate 0.15", "5 epochs"
_SAID = {"optimizer": "{}", "learning_rate": "learning rate {:g}", "batch_size": "batch {}",
         "epochs": "{} epochs",
         "validation_fraction": "validation {:g}", "schedule": "{} schedule", "lr_decay": "decay {:g}",
         "warmup": "warm-up {:g}", "label_smoothing": "smoothing {:g}", "shift": "shift {:g}",
         "rotation": "rotation {:g}°", "scale": "scale {:g}", "noise": "noise {:g}",
         "split_seed": "split seed {}",
         "beta_1": "beta 1 {:g}", "beta_2": "beta 2 {:g}", "patience": "patience {}", "seed": "seed {}",
         "train_images": "{:,} images", "folds": "{} folds", "fold": "fold {}"}


def started_from(config: TrainingConfig) -> str:
    """The preset a configuration started from and what was changed, e.g. "given, learning rate
    0.15, 5 epochs"; a network changed layer by layer is "custom"."""
    base = PRESETS.get(config.preset)
    if base is None:
        return config.preset
    changed = [_SAID[name].format(value) if (name, value) != ("epochs", 1) else "1 epoch"
               for name, value in vars(config.hyper).items()
               if name in _SAID and value != getattr(base.hyper, name)]
    return ", ".join([config.preset, *changed])


# The settings a comparison of runs lists, in the Train form's order, with their names in words
COMPARED = {"network": None, "parameters": None, "input": "reduction", "optimizer": "optimizer",
            "learning rate": "learning_rate", "batch size": "batch_size", "epochs": "epochs",
            "schedule": "schedule", "decay per epoch": "lr_decay", "warm-up": "warmup",
            "label smoothing": "label_smoothing", "random shift": "shift", "random rotation": "rotation",
            "random scale": "scale", "random noise": "noise",
            "validation fraction": "validation_fraction", "early stopping patience": "patience",
            "seed": "seed", "split seed": "split_seed", "training images": "train_images"}


def settings_side_by_side(configs: dict[str, TrainingConfig]) -> list[dict]:
    """One row per setting, one column per named configuration, and "differs" where they do not
    all agree: what a comparison of runs shows first."""
    rows = []
    for said, name in COMPARED.items():
        if said == "network":
            values = {run: config.describe() for run, config in configs.items()}
        elif said == "parameters":
            values = {run: f"{config.parameter_count():,}" for run, config in configs.items()}
        elif name == "reduction":
            values = {run: config.reduction for run, config in configs.items()}
        else:
            values = {run: _setting(config.hyper, name) for run, config in configs.items()}
        rows.append({"setting": said, **values, "differs": len({str(v) for v in values.values()}) > 1})
    return rows


def _setting(hyper, name: str):
    """A setting's value, or "not used" where the schedule ignores it."""
    if name == "split_seed":
        return hyper.split_by()
    unused = ((name == "lr_decay" and hyper.schedule != "step")
              or (name == "warmup" and hyper.schedule != "one-cycle"))
    return "not used" if unused else getattr(hyper, name)
