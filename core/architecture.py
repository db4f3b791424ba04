"""A network and its training settings as plain, validated data that builds the Keras model.

`TrainingConfig` is what the Train page edits, what a run saves as JSON and what the command line
reads; `build_model` turns it into a Keras model that takes raw 28x28 pixels (0-255) because the
standardisation is its first layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid", "elu", "gelu", "selu", "linear")
OPTIMIZERS = ("sgd", "adam", "nadam", "rmsprop")
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "nadam": "Nadam", "rmsprop": "RMSprop"}
WITH_BETAS = ("adam", "nadam")  # the optimisers whose moment decay rates (betas) can be set
# How the learning rate moves during a training: held; multiplied by lr_decay after every epoch;
# or one cycle: a linear warm-up from a 20th of it to it, then a cosine decay to a 100th of it.
SCHEDULES = ("constant", "step", "one-cycle")
# What the network sees of the 28x28 image: all of it, or a parameter-free reduction that makes
# every later layer smaller (MNIST's digits sit in the centre 20x20; their strokes are several
# pixels wide). name: (side of the image after it, in words, its step in `describe`)
REDUCTIONS = {"none": (28, "the whole 28x28 image", ""),
              "pool2": (14, "2x2 average pooling: 14x14", "avgpool 14x14"),
              "crop20": (20, "the centre 20x20 (a 4-pixel border dropped)", "crop 20x20")}
SCHEDULE_NAMES = {"constant": "constant", "step": "step decay (per epoch)",
                  "one-cycle": "one-cycle (warm-up, then cosine decay)"}

# Sane bounds: beyond them a network is a typo, not a choice, on a 2-core machine.
MAX_DENSE_LAYERS = 10
MAX_CONV_LAYERS = 6
MAX_UNITS = 4096
MAX_FILTERS = 256
MAX_EPOCHS = 200
MAX_LEARNING_RATE = 10.0
MAX_PATIENCE = 50
MAX_FOLDS = 10
TRAIN_IMAGES = 60_000
# Parameters a 2-core server can train while others use it: 5 M parameters (a 784-4096-1024-10 MLP)
# already take about a minute per epoch on the 54,000 training images, and hold the one worker.
MAX_PARAMETERS = 5_000_000


class ConfigError(ValueError):
    """An impossible or absurd choice; `problems` lists each one in words."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class DenseLayer:
    units: int
    activation: str = "relu"
    batch_norm: bool = False
    dropout: float = 0.0


@dataclass
class ConvLayer:
    filters: int
    kernel_size: int = 3
    batch_norm: bool = False
    max_pool: bool = False  # a 2x2 max-pooling after this layer
    dropout: float = 0.0
    stride: int = 1  # 2 halves the image like a pooling, at a quarter of the work
    # depthwise separable (Keras's SeparableConv2D): one k x k filter per incoming map, then a 1x1
    # convolution that mixes the maps; about k*k times fewer parameters than a full convolution,
    # which is what lets a convnet of under 2,000 parameters reach 99%
    separable: bool = False


@dataclass
class Hyperparameters:
    optimizer: str = "adam"
    learning_rate: float = 0.001
    batch_size: int = 128
    epochs: int = 10
    validation_fraction: float = 0.1
    schedule: str = "constant"  # one of SCHEDULES
    lr_decay: float = 1.0  # with the step schedule, the learning rate is multiplied by this per epoch
    warmup: float = 0.2  # with the one-cycle schedule, the share of all steps spent warming up
    label_smoothing: float = 0.0  # the targets become 1 - s for the true digit, s / 10 spread on all
    # during training only, each image moves by a random shift of up to this share of its side
    # (0.1: up to 2.8 pixels each way), so the network sees more handwriting than MNIST holds
    shift: float = 0.0
    beta_1: float = 0.9  # Adam and Nadam only
    beta_2: float = 0.999
    patience: int = 0  # early stopping on validation loss; 0 turns it off
    seed: int = 0
    train_images: int = TRAIN_IMAGES  # train on the first N training images (before the split)
    # k-fold cross-validation: with folds = k >= 2, fold number `fold` of the first N images is the
    # validation split (its predictions are out-of-sample); 0 keeps the random validation_fraction
    folds: int = 0
    fold: int = 0


@dataclass
class TrainingConfig:
    preset: str = "custom"
    conv: list[ConvLayer] = field(default_factory=list)
    dense: list[DenseLayer] = field(default_factory=list)
    hyper: Hyperparameters = field(default_factory=Hyperparameters)
    reduction: str = "none"  # one of REDUCTIONS, before any layer
    # after the convolutions, each feature map averaged to one number instead of flattened: the
    # dense layers then see one value per filter, whatever the image's size (parameter-free)
    global_pool: bool = False

    def input_side(self) -> int:
        return REDUCTIONS.get(self.reduction, REDUCTIONS["none"])[0]

    def problems(self) -> list[str]:
        """Everything wrong with this configuration, in words; empty when it can be trained."""
        found = []
        if len(self.dense) > MAX_DENSE_LAYERS:
            found.append(f"{len(self.dense)} hidden layers: at most {MAX_DENSE_LAYERS}")
        if len(self.conv) > MAX_CONV_LAYERS:
            found.append(f"{len(self.conv)} convolutional layers: at most {MAX_CONV_LAYERS}")
        for number, layer in enumerate(self.dense, 1):
            found += bounded(f"hidden layer {number}: units", layer.units, 1, MAX_UNITS, int)
            found += bounded(f"hidden layer {number}: dropout", layer.dropout, 0, 0.9, float)
            found += _flag(f"hidden layer {number}: batch norm", layer.batch_norm)
            if layer.activation not in ACTIVATIONS:
                found.append(f"hidden layer {number}: unknown activation {layer.activation!r} "
                             f"(choose one of {', '.join(ACTIVATIONS)})")
        if self.reduction not in REDUCTIONS:
            found.append(f"unknown input reduction {self.reduction!r} "
                         f"(choose one of {', '.join(REDUCTIONS)})")
        size = self.input_side()
        for number, layer in enumerate(self.conv, 1):
            found += bounded(f"conv layer {number}: filters", layer.filters, 1, MAX_FILTERS, int)
            found += bounded(f"conv layer {number}: kernel size", layer.kernel_size, 1, 7, int)
            found += bounded(f"conv layer {number}: stride", layer.stride, 1, 2, int)
            found += bounded(f"conv layer {number}: dropout", layer.dropout, 0, 0.9, float)
            found += _flag(f"conv layer {number}: batch norm", layer.batch_norm)
            found += _flag(f"conv layer {number}: max pool", layer.max_pool)
            found += _flag(f"conv layer {number}: separable", layer.separable)
            if isinstance(layer.kernel_size, int) and layer.stride in (1, 2):
                size = _conv_output(size, layer)
        found += _flag("global average pooling", self.global_pool)
        if self.global_pool is True and not self.conv:
            found.append("global average pooling needs convolutional layers: it averages their "
                         "feature maps")
        if self.conv and size < 1:
            side = self.input_side()
            found.append(f"the convolutional layers shrink the {side}x{side} image to nothing: "
                         "use fewer layers, smaller kernels or less pooling")
        elif not found and (count := self.parameter_count()) > MAX_PARAMETERS:
            found.append(f"{count:,} parameters: at most {MAX_PARAMETERS:,} on this server, where a "
                         "network that size already takes about a minute per epoch and keeps "
                         "everyone else's trainings waiting; use fewer or smaller layers")
        hyper = self.hyper
        if hyper.optimizer not in OPTIMIZERS:
            found.append(f"unknown optimizer {hyper.optimizer!r} (choose one of {', '.join(OPTIMIZERS)})")
        rate = hyper.learning_rate
        if not isinstance(rate, (int, float)) or not 0 < rate <= MAX_LEARNING_RATE:
            found.append(f"learning rate must be above 0 and at most {MAX_LEARNING_RATE:g}, "
                         f"got {hyper.learning_rate}")
        found += bounded("learning rate decay", hyper.lr_decay, 0.1, 1.0, float)
        if hyper.schedule not in SCHEDULES:
            found.append(f"unknown learning-rate schedule {hyper.schedule!r} "
                         f"(choose one of {', '.join(SCHEDULES)})")
        elif hyper.schedule != "step" and isinstance(hyper.lr_decay, (int, float)) and hyper.lr_decay < 1:
            found.append(f"a learning rate decay of {hyper.lr_decay:g} per epoch needs the step "
                         f"schedule, not {hyper.schedule}")
        found += bounded("warm-up share", hyper.warmup, 0.0, 0.5, float)
        found += bounded("label smoothing", hyper.label_smoothing, 0.0, 0.5, float)
        found += bounded("random shift", hyper.shift, 0.0, 0.25, float)
        found += bounded("beta 1", hyper.beta_1, 0.0, 0.999, float)
        found += bounded("beta 2", hyper.beta_2, 0.0, 0.9999, float)
        if hyper.optimizer in OPTIMIZERS and hyper.optimizer not in WITH_BETAS and (
                hyper.beta_1, hyper.beta_2) != (0.9, 0.999):
            found.append(f"betas apply to {' and '.join(OPTIMIZER_NAMES[o] for o in WITH_BETAS)} only, "
                         f"not {OPTIMIZER_NAMES[hyper.optimizer]}: leave them at 0.9 and 0.999")
        found += bounded("epochs", hyper.epochs, 1, MAX_EPOCHS, int)
        found += bounded("training images", hyper.train_images, 100, TRAIN_IMAGES, int)
        found += bounded("patience", hyper.patience, 0, MAX_PATIENCE, int)
        found += bounded("seed", hyper.seed, 0, 2**31 - 1, int)
        found += bounded("folds", hyper.folds, 0, MAX_FOLDS, int)
        if hyper.folds == 1:
            found.append("folds must be 0 (no cross-validation) or at least 2")
        found += bounded("fold", hyper.fold, 0, max(0, hyper.folds - 1), int)
        if not isinstance(hyper.validation_fraction, (int, float)) or not (
                0.01 <= hyper.validation_fraction <= 0.5):
            found.append(f"validation fraction must be between 0.01 and 0.5, got {hyper.validation_fraction}")
        else:
            training_set = self.training_set_size()
            found += bounded("batch size", hyper.batch_size, 1, max(1, training_set), int,
                              why=f"the training split has {training_set:,} images")
        return found

    def parameter_count(self, trainable_only: bool = False) -> int:
        """The model's parameter count, as Keras counts it, without building the model.

        Batch normalisation keeps 4 numbers per unit, of which 2 are learned (scale and shift) and
        2 are running statistics: `trainable_only` counts what gradient descent fits."""
        per_batch_norm = 2 if trainable_only else 4
        count, channels, size = 0, 1, self.input_side()  # standardisation statistics: not counted
        for layer in self.conv:
            count += _conv_weights(layer, channels) + layer.filters  # and one bias per filter
            count += per_batch_norm * layer.filters if layer.batch_norm else 0
            channels, size = layer.filters, _conv_output(size, layer)
        width = self._flattened(size, channels)
        for layer in self.dense:
            count += (width + 1) * layer.units + (per_batch_norm * layer.units if layer.batch_norm else 0)
            width = layer.units
        return count + (width + 1) * 10

    def _flattened(self, side: int, channels: int) -> int:
        """How many numbers the dense layers get from the convolutions' `channels` maps of `side`."""
        return channels if self.global_pool and self.conv else side * side * channels

    def multiply_adds(self) -> int:
        """Multiply-adds for one image through the network: what a training step costs, roughly."""
        count, channels, size = 0, 1, self.input_side()
        for layer in self.conv:
            convolved = _convolved(size, layer)
            count += convolved ** 2 * _conv_weights(layer, channels)
            channels, size = layer.filters, _conv_output(size, layer)
        width = self._flattened(size, channels)
        for layer in self.dense:
            count += width * layer.units
            width = layer.units
        return count + width * 10

    def steps_per_epoch(self) -> int:
        return -(-self.training_set_size() // self.hyper.batch_size)

    def check(self) -> TrainingConfig:
        if problems := self.problems():
            raise ConfigError(problems)
        return self

    def training_set_size(self) -> int:
        """Images left for training once the validation split is taken out."""
        hyper = self.hyper
        if not isinstance(hyper.train_images, int):
            return 0
        if isinstance(hyper.folds, int) and hyper.folds >= 2:
            return hyper.train_images - len(range(hyper.fold, hyper.train_images, hyper.folds))
        return hyper.train_images - max(1, round(hyper.train_images * hyper.validation_fraction))

    def describe(self) -> str:
        """A short text such as "Flatten > 256 (BN) > 128 > 10" for tables."""
        parts = [("sep" if layer.separable else "conv")
                 + f"{layer.kernel_size}x{layer.kernel_size}x{layer.filters}"
                 + (f"/{layer.stride}" if layer.stride > 1 else "") + (" BN" if layer.batch_norm else "")
                 + (" pool" if layer.max_pool else "") for layer in self.conv]
        parts += ["global avg"] if self.global_pool and self.conv else []
        parts += [f"{layer.units}" + (" BN" if layer.batch_norm else "")
                  + (f" drop{layer.dropout:g}" if layer.dropout else "") for layer in self.dense]
        reduced = REDUCTIONS.get(self.reduction, REDUCTIONS["none"])[2]
        return " > ".join(["28x28", *([reduced] if reduced else []), *parts, "10"])

    # --- JSON ------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw) -> TrainingConfig:
        """Rebuild from `to_dict`'s output: unknown keys, wrong types or impossible values are a
        ConfigError, so a configuration read from a file is as trustworthy as one made here."""
        problem = _shape_problem(raw)
        if problem:
            raise ConfigError([f"not a training configuration: {problem}"])
        hyper = dict(raw.get("hyper", {}))
        if "schedule" not in hyper:  # saved before schedules had names: a decay meant the step one
            hyper["schedule"] = "step" if hyper.get("lr_decay", 1.0) != 1.0 else "constant"
        try:
            config = cls(
                preset=raw.get("preset", "custom"),
                conv=[ConvLayer(**layer) for layer in raw.get("conv", [])],
                dense=[DenseLayer(**layer) for layer in raw.get("dense", [])],
                hyper=Hyperparameters(**hyper),
                reduction=raw.get("reduction", "none"),  # saved before reductions: the whole image
                global_pool=raw.get("global_pool", False),
            )
        except TypeError as error:  # an unknown or missing field
            raise ConfigError([f"not a training configuration: {error}"]) from error
        return config.check()


def _shape_problem(raw) -> str:
    """What is wrong with the JSON shape of a configuration (types of containers), or ''."""
    if not isinstance(raw, dict):
        return f"expected an object, got {type(raw).__name__}"
    if not isinstance(raw.get("preset", "custom"), str):
        return "preset must be a text"
    if not isinstance(raw.get("reduction", "none"), str):
        return "reduction must be a text"
    for key in ("conv", "dense"):
        layers = raw.get(key, [])
        if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
            return f"{key} must be a list of layer objects"
    if not isinstance(raw.get("hyper", {}), dict):
        return "hyper must be an object"
    return ""


def _conv_weights(layer: ConvLayer, channels: int) -> int:
    """The weights of `layer`'s kernels over `channels` incoming maps (a multiply-add each per pixel)."""
    if layer.separable:  # one k x k filter per incoming map, then 1x1 across them
        return layer.kernel_size ** 2 * channels + channels * layer.filters
    return layer.kernel_size ** 2 * channels * layer.filters


def _convolved(size: int, layer: ConvLayer) -> int:
    """The side of the image after `layer`'s convolution (no padding) and stride."""
    return (size - layer.kernel_size) // layer.stride + 1


def _conv_output(size: int, layer: ConvLayer) -> int:
    """The side of the image after `layer`: its convolution, stride and pooling."""
    return _convolved(size, layer) // (2 if layer.max_pool else 1)


def _flag(what: str, value) -> list[str]:
    return [] if isinstance(value, bool) else [f"{what} must be true or false, got {value!r}"]


def bounded(what: str, value, low, high, kind, why: str = "") -> list[str]:
    if kind is int and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        return [f"{what} must be a whole number, got {value!r}"]
    if kind is float and not isinstance(value, (int, float)):
        return [f"{what} must be a number, got {value!r}"]
    if not low <= value <= high:
        return [f"{what} must be between {low:,} and {high:,}, got {value:,}" + (f" ({why})" if why else "")]
    return []


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
}
PRESET_DESCRIPTIONS = {
    "given": "Dense 128 relu, SGD lr 0.05: the classic analysis's first network",
    "compact": "Dense 13 > 128, Adam, batch 32: few parameters, nearly as good",
    "best": "Dense 256 > 128 > 64 with batch normalisation, Adam, batch 256",
    # measured by benchmarks/preset_accuracy.py on this 2-core machine, mean of 3 seeds
    "sprint": "Two strided convolutions, 2 epochs: 99.10% of the test digits after 9.3 s of training",
    "conv": "Two strided convolutions, random shifts, 10 epochs: 99.50% test after 89 s",
    "mlp": "Dense 512 > 512 with dropout, random shifts, 9 epochs: 98.54% test after 38 s",
    "small95": "Smallest ≥ 95%, found by the architecture search: 2x2 average pooling > 17 BN, 3,597 "
               "parameters (compact: 13,287): 95.42% test after 21 s",
    "small99": "Convnet ≥ 99% under 2,000 parameters, found by the architecture search: four "
               "convolutions (three separable), 1,904 trainable parameters: 99.13% test after 434 s",
    "custom": "Your own fully-connected stack",
}


def preset(name: str) -> TrainingConfig:
    """A fresh copy of a preset, safe to edit."""
    return TrainingConfig.from_dict(PRESETS[name].to_dict())


def build_model(config: TrainingConfig, pixel_mean: np.ndarray, pixel_std: np.ndarray):
    """The Keras model (compiled) for `config`; its first layer standardises raw pixels.

    The standardisation statistics are stored in the model, so a saved model needs nothing else.
    """
    import keras  # heavy: imported where a model is built, not when the dashboard starts
    from keras import layers

    config.check()
    inputs = keras.Input(shape=(28, 28), name="pixels")
    x = inputs
    if config.hyper.shift:  # active in training only; the blank border is background, 0
        x = layers.Reshape((28, 28, 1))(x)
        x = layers.RandomTranslation(config.hyper.shift, config.hyper.shift, fill_mode="constant",
                                     fill_value=0.0, name="random_shift")(x)
        x = layers.Reshape((28, 28))(x)
    # Keras divides by sqrt(variance): pixel_std comes floored from preprocessing.pixel_statistics.
    x = layers.Normalization(axis=(1, 2), mean=pixel_mean, variance=np.square(pixel_std),
                             name="standardise")(x)
    if config.conv or config.reduction != "none":
        x = layers.Reshape((28, 28, 1))(x)
    if config.reduction == "pool2":
        x = layers.AveragePooling2D(2, name="average_2x2")(x)
    elif config.reduction == "crop20":
        x = layers.Cropping2D(4, name="centre_20x20")(x)
    for layer in config.conv:
        convolution = layers.SeparableConv2D if layer.separable else layers.Conv2D
        x = convolution(layer.filters, layer.kernel_size, strides=layer.stride, activation="relu")(x)
        if layer.batch_norm:
            x = layers.BatchNormalization()(x)
        if layer.max_pool:
            x = layers.MaxPooling2D(2)(x)
        if layer.dropout:
            x = layers.Dropout(layer.dropout)(x)
    x = layers.GlobalAveragePooling2D(name="global_average")(x) if config.global_pool else layers.Flatten()(x)
    for layer in config.dense:
        x = layers.Dense(layer.units, activation=layer.activation)(x)
        if layer.batch_norm:
            x = layers.BatchNormalization()(x)
        if layer.dropout:
            x = layers.Dropout(layer.dropout)(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    model = keras.Model(inputs, outputs, name=config.preset)
    hyper = config.hyper
    settings = {"learning_rate": learning_rate(config)}
    if hyper.optimizer in WITH_BETAS:
        settings |= {"beta_1": hyper.beta_1, "beta_2": hyper.beta_2}
    optimizer = keras.optimizers.get({"class_name": hyper.optimizer, "config": settings})
    # integer labels in, as MNIST stores them, unless smoothing needs the one-hot targets (see
    # `targets`); either way a built-in loss, so a downloaded model loads anywhere
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=hyper.label_smoothing) \
        if hyper.label_smoothing else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"],
                  steps_per_execution=steps_per_execution(config))
    return model


def is_feature_layer(layer) -> bool:
    """Whether a learner looks at `layer`'s output (activations, the map): the dense layers, the
    convolutions, full or separable, and the poolings."""
    from keras import layers

    return isinstance(layer, (layers.Dense, layers.Conv2D, layers.SeparableConv2D, layers.MaxPooling2D))


def learning_rate(config: TrainingConfig):
    """The optimiser's learning rate: a number, or a Keras schedule that moves it step by step."""
    from keras.optimizers import schedules

    hyper, steps = config.hyper, config.steps_per_epoch()
    if hyper.schedule == "step" and hyper.lr_decay < 1:
        return schedules.ExponentialDecay(hyper.learning_rate, decay_steps=steps,
                                          decay_rate=hyper.lr_decay, staircase=True)
    if hyper.schedule == "one-cycle":
        total = steps * hyper.epochs
        warmup = int(total * hyper.warmup)
        return schedules.CosineDecay(hyper.learning_rate / 20, decay_steps=max(1, total - warmup),
                                     alpha=0.01, warmup_target=hyper.learning_rate, warmup_steps=warmup)
    return hyper.learning_rate


def targets(config: TrainingConfig, labels: np.ndarray) -> np.ndarray:
    """What the model's loss compares its output with: the digits, or one-hot rows to smooth."""
    if not config.hyper.label_smoothing:
        return labels
    return np.eye(10, dtype=np.float32)[labels]


# A step's cost is about its multiply-adds; below this many per group of steps, Python's per-step
# overhead shows. Grouping steps into one call (Keras's steps_per_execution) makes small networks
# faster (benchmarks/training_levers.py); a group stays short (at most about 0.3 s on this 2-core
# machine) so that the live view moves and Stop takes effect well within a second.
MULTIPLY_ADDS_PER_GROUP = 1e9
MAX_STEPS_PER_GROUP = 32


def steps_per_execution(config: TrainingConfig) -> int:
    """How many training steps Keras runs per call, between two progress reports."""
    per_step = config.multiply_adds() * config.hyper.batch_size
    return int(max(1, min(MAX_STEPS_PER_GROUP, MULTIPLY_ADDS_PER_GROUP // max(per_step, 1))))


def summary_rows(model) -> list[dict]:
    """The model summary as table rows: layer, output shape, parameters."""
    return [{"layer": f"{layer.name} ({type(layer).__name__})",
             "output shape": str(tuple(layer.output.shape)),
             "parameters": layer.count_params()} for layer in model.layers]
