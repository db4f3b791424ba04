"""A network and its training settings as plain data, and its JSON.

`TrainingConfig` is what the Train page edits, what a run saves as JSON and what the command line
reads. What it may be is `validation`'s; what it costs, `cost`'s; the Keras model it builds, `model`'s.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

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
TRAIN_IMAGES = 60_000  # MNIST's training set
# Every trial of a search validates on the same images, a fixed holdout of the training set chosen by
# the study's split seed, whatever seed starts its weights: its trials are compared on equal terms,
# and the test set is left for the one network the study chooses (and a preset it found keeps it).
HOLDOUT_IMAGES = 10_000


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
    # with batch norm: normalise only, without its learned scale and shift (Keras's center and scale
    # off): no parameters at all, which is what the smallest convnets spend theirs on
    plain_norm: bool = False
    # a block shared across depth: the convolution applied this many times with the same weights, each
    # time followed by its own batch norm; depth for no parameters (it needs as many filters as the maps
    # coming in, and a stride of 1)
    repeat: int = 1


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
    # the other random changes of an image in training only (augmentation): turned by up to this many
    # degrees either way, scaled by up to this share larger or smaller, and Gaussian noise of this
    # standard deviation in gray levels added to its raw pixels (0..255)
    rotation: float = 0.0
    scale: float = 0.0
    noise: float = 0.0
    beta_1: float = 0.9  # Adam and Nadam only
    beta_2: float = 0.999
    patience: int = 0  # early stopping on validation loss; 0 turns it off
    seed: int = 0
    # the train/validation split's own seed; None: the seed's. A search gives every trial the same
    # split (its validation images a fixed holdout) while each trial's weights start from its own seed
    split_seed: int | None = None
    train_images: int = TRAIN_IMAGES  # train on the first N training images (before the split)
    # k-fold cross-validation: with folds = k >= 2, fold number `fold` of the first N images is the
    # validation split (its predictions are out-of-sample); 0 keeps the random validation_fraction
    folds: int = 0
    fold: int = 0

    def augmented(self) -> bool:
        return bool(self.shift or self.rotation or self.scale or self.noise)

    def split_by(self) -> int:
        """The seed that chooses the validation images."""
        return self.seed if self.split_seed is None else self.split_seed


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

    # what it may be, and what it costs: in their own modules, asked here
    def problems(self) -> list[str]:
        """Everything wrong with this configuration, in words; empty when it can be trained."""
        from core.architecture import validation

        return validation.problems(self)

    def check(self) -> TrainingConfig:
        if problems := self.problems():
            raise ConfigError(problems)
        return self

    def parameter_count(self, trainable_only: bool = False) -> int:
        from core.architecture import cost

        return cost.parameter_count(self, trainable_only)

    def multiply_adds(self) -> int:
        from core.architecture import cost

        return cost.multiply_adds(self)

    def training_set_size(self) -> int:
        from core.architecture import cost

        return cost.training_set_size(self)

    def steps_per_epoch(self) -> int:
        from core.architecture import cost

        return cost.steps_per_epoch(self)

    def output_side(self) -> int:
        from core.architecture import cost

        return cost.output_side(self)

    def describe(self) -> str:
        """A short text such as "Flatten > 256 (BN) > 128 > 10" for tables."""
        parts = [("sep" if layer.separable else "conv")
                 + f"{layer.kernel_size}x{layer.kernel_size}x{layer.filters}"
                 + (f"/{layer.stride}" if layer.stride > 1 else "")
                 + (f" shared×{layer.repeat}" if layer.repeat != 1 else "")
                 + ((" norm" if layer.plain_norm else " BN") if layer.batch_norm else "")
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
