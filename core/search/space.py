"""What an architecture search may draw: its space, a trial's network drawn from it, and why a
drawn network is not trained (impossible, or over a cap)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from core.architecture import (
    ACTIVATIONS,
    HOLDOUT_IMAGES,
    MAX_CONV_LAYERS,
    MAX_DENSE_LAYERS,
    MAX_DROPOUT,
    MAX_EPOCHS,
    MAX_FILTERS,
    MAX_KERNEL,
    MAX_LABEL_SMOOTHING,
    MAX_LEARNING_RATE,
    MAX_PARAMETERS,
    MAX_REPEAT,
    MAX_SHIFT,
    MAX_UNITS,
    MIN_TRAIN_IMAGES,
    OPTIMIZERS,
    REDUCTIONS,
    TRAIN_IMAGES,
    ConfigError,
    ConvLayer,
    DenseLayer,
    Hyperparameters,
    TrainingConfig,
    bounded,
)
from core.preprocessing import validation_count

KINDS = {"dense": "fully-connected stacks", "conv": "small convnets"}
MAX_MULTIPLY_ADDS_CAP = 10**10  # per image; beyond it a cap caps nothing a 2-core server would train
MIN_LEARNING_RATE = 1e-6
ROTATIONS = (0.0, 10.0, 15.0, 20.0)  # degrees a search may offer


@dataclass
class SearchSpace:
    """What a study may choose from; stored in the study so that every worker searches the same."""

    kind: str = "dense"  # one of KINDS
    min_layers: int = 1  # hidden layers (dense) or convolutional layers (conv)
    max_layers: int = 4
    min_width: int = 4  # units per hidden layer, or filters per convolution, on a log scale
    max_width: int = 512
    reductions: list[str] = field(default_factory=lambda: list(REDUCTIONS))
    activations: list[str] = field(default_factory=lambda: ["relu"])
    batch_norm: list[bool] = field(default_factory=lambda: [False, True])
    # convnets' batch norm without its scale and shift (no parameters): drawn only where offered
    plain_norm: list[bool] = field(default_factory=lambda: [False])
    max_dropout: float = 0.3
    kernel_sizes: list[int] = field(default_factory=lambda: [3, 5])
    # depthwise separable convolutions after the first (which sees one map, where they are pointless):
    # [False] keeps full convolutions, as in studies made before they existed
    separable: list[bool] = field(default_factory=lambda: [False])
    optimizers: list[str] = field(default_factory=lambda: ["adam"])
    min_learning_rate: float = 3e-4
    max_learning_rate: float = 3e-2
    batch_sizes: list[int] = field(default_factory=lambda: [64, 128, 256])
    shifts: list[float] = field(default_factory=lambda: [0.0, 0.1])
    rotations: list[float] = field(default_factory=lambda: [0.0])  # drawn only if more is offered
    # times a convolution after the first may be applied with the same weights (a block shared across
    # depth); [1]: never, as in studies made before shared blocks
    repeats: list[int] = field(default_factory=lambda: [1])
    global_pool: list[bool] = field(default_factory=lambda: [False, True])  # averaged, or flattened
    label_smoothing: list[float] = field(default_factory=lambda: [0.0, 0.1])
    epochs: int = 5  # every trial trains this many epochs
    # networks above this many trainable parameters are not trained (0: no cap): a search for the
    # smallest network that reaches a target need not spend its minutes on large ones
    max_parameters: int = 0
    # nor networks above this many multiply-adds per image (0: no cap): what a trial's minutes grow
    # with; on 2 cores a convnet that never pools takes several times as long as one that does
    max_multiply_adds: int = 0
    train_images: int = TRAIN_IMAGES
    validation_fraction: float = HOLDOUT_IMAGES / TRAIN_IMAGES
    seed: int = 0
    split_seed: int | None = 0  # None in studies made before it: each trial split by its own seed

    def problems(self) -> list[str]:
        """Everything wrong with this space, in words, within the bounds of any one network."""
        found = [] if self.kind in KINDS else [f"unknown kind {self.kind!r} (choose {' or '.join(KINDS)})"]
        conv = self.kind == "conv"
        most, widest = (MAX_CONV_LAYERS, MAX_FILTERS) if conv else (MAX_DENSE_LAYERS, MAX_UNITS)
        found += bounded("fewest layers", self.min_layers, 0 if conv else 1, most, int)
        found += bounded("most layers", self.max_layers, max(1, self.min_layers), most, int)
        found += bounded("narrowest layer", self.min_width, 1, widest, int)
        found += bounded("widest layer", self.max_width, self.min_width, widest, int)
        found += bounded("epochs per trial", self.epochs, 1, MAX_EPOCHS, int)
        found += bounded("training images", self.train_images, MIN_TRAIN_IMAGES, TRAIN_IMAGES, int)
        found += bounded("parameter cap", self.max_parameters, 0, MAX_PARAMETERS, int)
        found += bounded("multiply-add cap", self.max_multiply_adds, 0, MAX_MULTIPLY_ADDS_CAP, int)
        found += bounded("highest dropout", self.max_dropout, 0.0, MAX_DROPOUT, float)
        found += bounded("lowest learning rate", self.min_learning_rate, MIN_LEARNING_RATE, MAX_LEARNING_RATE,
                         float)
        if self.split_seed is not None:
            found += bounded("split seed", self.split_seed, 0, 2**31 - 1, int)
        if self.global_pool == [True] and self.min_layers == 0:
            found.append("global average pooling always: every network needs a convolutional layer "
                         "(fewest layers at least 1)")
        found += bounded("highest learning rate", self.max_learning_rate, self.min_learning_rate,
                         MAX_LEARNING_RATE, float)
        for name, values, allowed in (
                ("input reductions", self.reductions, REDUCTIONS),
                ("activations", self.activations, ACTIVATIONS),
                ("optimizers", self.optimizers, OPTIMIZERS),
                ("batch norm", self.batch_norm, (False, True)),
                ("norm without parameters", self.plain_norm, (False, True)),
                ("separable convolutions", self.separable, (False, True)),
                ("kernel sizes", self.kernel_sizes, range(1, MAX_KERNEL + 1)),
                ("batch sizes", self.batch_sizes, range(1, TRAIN_IMAGES + 1)),
                ("random shifts", self.shifts, [x / 100 for x in range(round(MAX_SHIFT * 100) + 1)]),
                ("random rotations", self.rotations, ROTATIONS),
                ("times a convolution is applied", self.repeats, range(1, MAX_REPEAT + 1)),
                ("global average pooling", self.global_pool, (False, True)),
                ("label smoothing", self.label_smoothing,
                 [x / 100 for x in range(round(MAX_LABEL_SMOOTHING * 100) + 1)])):
            # a range holds whole numbers only (2.0 is "in" range(1, 5), and would reach range(2.0))
            if not values or any(value not in allowed or isinstance(allowed, range) and type(value) is not int
                                 for value in values):
                found.append(f"{name}: choose at least one, from {', '.join(map(str, allowed))[:120]}")
        return found

    def validation_size(self) -> int:
        """How many of its training images every trial validates on."""
        return validation_count(self.train_images, self.validation_fraction)

    def check(self) -> SearchSpace:
        if problems := self.problems():
            raise ConfigError(problems)
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict) -> SearchSpace:
        raw = {"split_seed": None, **raw}  # a study made before split seeds: each trial split by its seed
        try:
            return cls(**raw).check()
        except TypeError as error:
            raise ConfigError([f"not a search space: {error}"]) from error


def suggest(trial, space: SearchSpace) -> TrainingConfig:
    """The trial's network and settings, drawn from `space` (not checked: it may be impossible)."""
    layers = trial.suggest_int("layers", space.min_layers, space.max_layers)
    batch_norm = trial.suggest_categorical("batch_norm", space.batch_norm)
    dropout = trial.suggest_float("dropout", 0.0, space.max_dropout) if space.max_dropout else 0.0
    reduction = trial.suggest_categorical("reduction", space.reductions)
    config = TrainingConfig(preset="search", reduction=reduction)
    if space.kind == "dense":
        activation = trial.suggest_categorical("activation", space.activations)
        config.dense = [DenseLayer(_width(trial, f"units_{i + 1}", space), activation, batch_norm,
                                   round(dropout, 2)) for i in range(layers)]
    else:
        # drawn only where the space offers it, so that older studies' trials rebuild as they were
        separable = trial.suggest_categorical("separable", space.separable) if True in space.separable \
            else False
        config.conv = _conv_layers(trial, space, layers, REDUCTIONS[reduction][0], batch_norm, separable)
        if batch_norm and True in space.plain_norm:
            plain = trial.suggest_categorical("plain_norm", space.plain_norm)
            config.conv = [dataclasses.replace(layer, plain_norm=plain) for layer in config.conv]
        config.global_pool = trial.suggest_categorical("global_pool", space.global_pool)
    optimizer = trial.suggest_categorical("optimizer", space.optimizers)
    config.hyper = Hyperparameters(
        optimizer=optimizer, schedule="one-cycle",
        learning_rate=round(trial.suggest_float("learning_rate", space.min_learning_rate,
                                                space.max_learning_rate, log=True), 6),
        batch_size=trial.suggest_categorical("batch_size", space.batch_sizes),
        shift=trial.suggest_categorical("shift", space.shifts),
        rotation=trial.suggest_categorical("rotation", space.rotations) if space.rotations != [0.0] else 0.0,
        label_smoothing=trial.suggest_categorical("label_smoothing", space.label_smoothing),
        epochs=space.epochs, train_images=space.train_images,
        validation_fraction=space.validation_fraction, seed=space.seed + trial.number,
        split_seed=space.split_seed)
    return config


def _conv_layers(trial, space: SearchSpace, layers: int, side: int, batch_norm: bool,
                 separable: bool) -> list[ConvLayer]:
    """The convolutions, each with a choice of kernel and of pooling only where the layers after it
    still have an image to work on (with the smallest kernel, unpooled): drawn freely, most deep
    stacks would shrink the image away, and every such draw is a trial lost. A trained trial passed
    this test, so it rebuilds as it was (exactly, with two kernel sizes to choose from)."""
    smallest = min(space.kernel_sizes)
    convolutions = []
    for i in range(layers):
        needed = 1 + (layers - i - 1) * (smallest - 1)  # the side that the layers still to come need
        # a block shared across depth: drawn after the first layer, where the space offers it and the
        # image has room for its most applications; it takes in as many maps as it makes
        repeat = trial.suggest_categorical(f"repeat_{i + 1}", space.repeats) \
            if i > 0 and space.repeats != [1] and side - max(space.repeats) * (smallest - 1) >= needed else 1
        filters = convolutions[-1].filters if repeat > 1 else _width(trial, f"filters_{i + 1}", space)
        kernel = trial.suggest_categorical(f"kernel_{i + 1}", space.kernel_sizes) \
            if side - repeat * (max(space.kernel_sizes) - 1) >= needed else smallest
        side -= repeat * (kernel - 1)
        pool = trial.suggest_categorical(f"pool_{i + 1}", [False, True]) if side // 2 >= needed else False
        side //= 2 if pool else 1
        convolutions.append(ConvLayer(filters, kernel, batch_norm, pool, separable=bool(separable and i > 0),
                                      repeat=repeat))
    return convolutions


def _width(trial, name: str, space: SearchSpace) -> int:
    return trial.suggest_int(name, space.min_width, space.max_width, log=True)  # 4, 8, 16... equally likely


def why_not_trained(config: TrainingConfig, space: SearchSpace) -> tuple[str, float]:
    """Why a drawn network is not trained (impossible, or over a cap of the space), or '', and how
    far it is from one that would be: its largest excess over a cap as a share of it (1 for an
    impossible network, 0 for one that is trained)."""
    if problems := config.problems():  # e.g. convolutions that shrink the image to nothing
        return "impossible: " + "; ".join(problems), 1.0
    caps = [(space.max_parameters, config.parameter_count(trainable_only=True), "parameters"),
            (space.max_multiply_adds, config.multiply_adds(), "multiply-adds per image")]
    over = [(amount / cap - 1, f"not trained: {amount:,} {what}, over the cap of {cap:,}")
            for cap, amount, what in caps if cap and amount > cap]
    if not over:
        return "", 0.0
    reason = over[0][1]  # the parameter cap is said first, as before
    return reason, max(max(share for share, _ in over), 1e-6)
