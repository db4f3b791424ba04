"""What a configuration may be: every problem of one, in words, checked before anything is built."""

from __future__ import annotations

import numpy as np

from core.architecture.config import (
    ACTIVATIONS,
    OPTIMIZER_NAMES,
    OPTIMIZERS,
    REDUCTIONS,
    SCHEDULES,
    TRAIN_IMAGES,
    WITH_BETAS,
    TrainingConfig,
)

# Sane bounds: beyond them a network is a typo, not a choice, on a 2-core machine.
MAX_DENSE_LAYERS = 10
MAX_CONV_LAYERS = 6
MAX_UNITS = 4096
MAX_FILTERS = 256
MAX_KERNEL = 7
MAX_REPEAT = 4  # times one convolution is applied with the same weights
MAX_EPOCHS = 200
MAX_LEARNING_RATE = 10.0
MAX_PATIENCE = 50
MAX_FOLDS = 10
MAX_DROPOUT = 0.9
MAX_SHIFT = 0.25  # of the image's side
MAX_ROTATION = 45.0  # degrees either way: a 6 turned further starts to read as a 9
MAX_SCALE = 0.3  # larger or smaller by this share
MAX_NOISE = 128.0  # gray levels of standard deviation
MAX_LABEL_SMOOTHING = 0.5
MIN_TRAIN_IMAGES = 100
# Parameters a 2-core server can train while others use it: 5 M parameters (a 784-4096-1024-10 MLP)
# already take about a minute per epoch on the 54,000 training images, and hold the one worker.
MAX_PARAMETERS = 5_000_000


def problems(config: TrainingConfig) -> list[str]:
    """Everything wrong with `config`, in words; empty when it can be trained."""
    found = _layer_problems(config)
    if not found and (count := config.parameter_count()) > MAX_PARAMETERS:
        found.append(f"{count:,} parameters: at most {MAX_PARAMETERS:,} on this server, where a "
                     "network that size already takes about a minute per epoch and keeps "
                     "everyone else's trainings waiting; use fewer or smaller layers")
    return found + _optimiser_problems(config) + _training_problems(config)


def _layer_problems(config: TrainingConfig) -> list[str]:
    found = []
    if len(config.dense) > MAX_DENSE_LAYERS:
        found.append(f"{len(config.dense)} hidden layers: at most {MAX_DENSE_LAYERS}")
    if len(config.conv) > MAX_CONV_LAYERS:
        found.append(f"{len(config.conv)} convolutional layers: at most {MAX_CONV_LAYERS}")
    for number, layer in enumerate(config.dense, 1):
        found += bounded(f"hidden layer {number}: units", layer.units, 1, MAX_UNITS, int)
        found += bounded(f"hidden layer {number}: dropout", layer.dropout, 0, MAX_DROPOUT, float)
        found += _flag(f"hidden layer {number}: batch norm", layer.batch_norm)
        if layer.activation not in ACTIVATIONS:
            found.append(f"hidden layer {number}: unknown activation {layer.activation!r} "
                         f"(choose one of {', '.join(ACTIVATIONS)})")
    if config.reduction not in REDUCTIONS:
        found.append(f"unknown input reduction {config.reduction!r} (choose one of {', '.join(REDUCTIONS)})")
    for number, layer in enumerate(config.conv, 1):
        found += bounded(f"conv layer {number}: filters", layer.filters, 1, MAX_FILTERS, int)
        found += bounded(f"conv layer {number}: kernel size", layer.kernel_size, 1, MAX_KERNEL, int)
        found += bounded(f"conv layer {number}: stride", layer.stride, 1, 2, int)
        found += bounded(f"conv layer {number}: dropout", layer.dropout, 0, MAX_DROPOUT, float)
        for what, value in (("batch norm", layer.batch_norm), ("max pool", layer.max_pool),
                            ("separable", layer.separable), ("plain norm", layer.plain_norm)):
            found += _flag(f"conv layer {number}: {what}", value)
        if layer.plain_norm is True and layer.batch_norm is False:
            found.append(f"conv layer {number}: a norm without parameters needs batch norm on")
        found += _repeat_problems(config, number)
    found += _flag("global average pooling", config.global_pool)
    if config.global_pool is True and not config.conv:
        found.append("global average pooling needs convolutional layers: it averages their feature maps")
    if config.conv and config.output_side() < 1:
        side = config.input_side()
        found.append(f"the convolutional layers shrink the {side}x{side} image to nothing: "
                     "use fewer layers, smaller kernels or less pooling")
    return found


def _repeat_problems(config: TrainingConfig, number: int) -> list[str]:
    """A convolution applied several times with the same weights takes in as many maps as it makes."""
    layer = config.conv[number - 1]
    found = bounded(f"conv layer {number}: times applied", layer.repeat, 1, MAX_REPEAT, int)
    if found or layer.repeat == 1:
        return found
    coming_in = config.conv[number - 2].filters if number > 1 else 1
    if coming_in != layer.filters:
        found.append(f"conv layer {number} is applied {layer.repeat} times with the same weights, so it "
                     f"needs as many filters as the maps coming in: {coming_in}, not {layer.filters}")
    if layer.stride != 1:
        found.append(f"conv layer {number} is applied {layer.repeat} times: it needs a stride of 1")
    return found


def _optimiser_problems(config: TrainingConfig) -> list[str]:
    hyper, found = config.hyper, []
    if hyper.optimizer not in OPTIMIZERS:
        found.append(f"unknown optimizer {hyper.optimizer!r} (choose one of {', '.join(OPTIMIZERS)})")
    rate = hyper.learning_rate
    if not isinstance(rate, (int, float)) or not 0 < rate <= MAX_LEARNING_RATE:
        found.append(f"learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}, got {rate}")
    found += bounded("learning rate decay", hyper.lr_decay, 0.1, 1.0, float)
    if hyper.schedule not in SCHEDULES:
        found.append(f"unknown learning-rate schedule {hyper.schedule!r} "
                     f"(choose one of {', '.join(SCHEDULES)})")
    elif hyper.schedule != "step" and isinstance(hyper.lr_decay, (int, float)) and hyper.lr_decay < 1:
        found.append(f"a learning rate decay of {hyper.lr_decay:g} per epoch needs the step "
                     f"schedule, not {hyper.schedule}")
    found += bounded("warm-up share", hyper.warmup, 0.0, 0.5, float)
    found += bounded("label smoothing", hyper.label_smoothing, 0.0, MAX_LABEL_SMOOTHING, float)
    found += bounded("random shift", hyper.shift, 0.0, MAX_SHIFT, float)
    found += bounded("random rotation", hyper.rotation, 0.0, MAX_ROTATION, float)
    found += bounded("random scale", hyper.scale, 0.0, MAX_SCALE, float)
    found += bounded("random noise", hyper.noise, 0.0, MAX_NOISE, float)
    found += bounded("beta 1", hyper.beta_1, 0.0, 0.999, float)
    found += bounded("beta 2", hyper.beta_2, 0.0, 0.9999, float)
    if hyper.optimizer in OPTIMIZERS and hyper.optimizer not in WITH_BETAS and (
            hyper.beta_1, hyper.beta_2) != (0.9, 0.999):
        found.append(f"betas apply to {' and '.join(OPTIMIZER_NAMES[o] for o in WITH_BETAS)} only, "
                     f"not {OPTIMIZER_NAMES[hyper.optimizer]}: leave them at 0.9 and 0.999")
    return found


def _training_problems(config: TrainingConfig) -> list[str]:
    hyper, found = config.hyper, []
    found += bounded("epochs", hyper.epochs, 1, MAX_EPOCHS, int)
    found += bounded("training images", hyper.train_images, MIN_TRAIN_IMAGES, TRAIN_IMAGES, int)
    found += bounded("patience", hyper.patience, 0, MAX_PATIENCE, int)
    found += bounded("seed", hyper.seed, 0, 2**31 - 1, int)
    if hyper.split_seed is not None:
        found += bounded("split seed", hyper.split_seed, 0, 2**31 - 1, int)
    found += bounded("folds", hyper.folds, 0, MAX_FOLDS, int)
    if hyper.folds == 1:
        found.append("folds must be 0 (no cross-validation) or at least 2")
    last_fold = max(0, hyper.folds - 1) if isinstance(hyper.folds, int) else 0
    found += bounded("fold", hyper.fold, 0, last_fold, int)
    if not isinstance(hyper.validation_fraction, (int, float)) or not (
            0.01 <= hyper.validation_fraction <= 0.5):
        found.append(f"validation fraction must be between 0.01 and 0.5, got {hyper.validation_fraction}")
    else:
        training_set = config.training_set_size()
        found += bounded("batch size", hyper.batch_size, 1, max(1, training_set), int,
                         why=f"the training split has {training_set:,} images")
    return found


def _flag(what: str, value) -> list[str]:
    return [] if isinstance(value, bool) else [f"{what} must be true or false, got {value!r}"]


def bounded(what: str, value, low, high, kind, why: str = "") -> list[str]:
    """[] if `value` is a `kind` (int or float) between `low` and `high`, else the problem in words."""
    if kind is int and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        return [f"{what} must be a whole number, got {value!r}"]
    if kind is float and not isinstance(value, (int, float)):
        return [f"{what} must be a number, got {value!r}"]
    if not low <= value <= high:
        return [f"{what} must be between {low:,} and {high:,}, got {value:,}" + (f" ({why})" if why else "")]
    return []
