"""What a configuration costs: its parameters (as Keras counts them, without building it), its
multiply-adds per image, its steps per epoch, and how many steps Keras runs per call."""

from __future__ import annotations

from core import preprocessing
from core.architecture.config import ConvLayer, TrainingConfig
from core.architecture.validation import MAX_REPEAT

# A step's cost is about its multiply-adds; below this many per group of steps, Python's per-step
# overhead shows. Grouping steps into one call (Keras's steps_per_execution) makes small networks
# faster (benchmarks/training_levers.py); a group stays short (at most about 0.3 s on this 2-core
# machine) so that the live view moves and Stop takes effect well within a second.
MULTIPLY_ADDS_PER_GROUP = 1e9
MAX_STEPS_PER_GROUP = 32


def parameter_count(config: TrainingConfig, trainable_only: bool = False) -> int:
    """The model's parameter count, as Keras counts it, without building the model.

    Batch normalisation keeps 4 numbers per unit, of which 2 are learned (scale and shift) and
    2 are running statistics: `trainable_only` counts what gradient descent fits. A plain one (no
    scale or shift) keeps the 2 statistics only: no trainable parameter."""
    per_batch_norm = 2 if trainable_only else 4
    count, channels, size = 0, 1, config.input_side()  # standardisation statistics: not counted
    for layer in config.conv:
        # a repeated convolution's weights count once; each application has its own batch norm
        count += conv_weights(layer, channels) + layer.filters  # and one bias per filter
        if layer.batch_norm:
            count += (per_batch_norm - (2 if layer.plain_norm else 0)) * layer.filters * layer.repeat
        channels, size = layer.filters, conv_output(size, layer)
    width = _flattened(config, size, channels)
    for layer in config.dense:
        count += (width + 1) * layer.units + (per_batch_norm * layer.units if layer.batch_norm else 0)
        width = layer.units
    return count + (width + 1) * 10


def multiply_adds(config: TrainingConfig) -> int:
    """Multiply-adds for one image through the network: what a training step costs, roughly."""
    count, channels, size = 0, 1, config.input_side()
    for layer in config.conv:
        count += sum(side ** 2 for side in convolved_sides(size, layer)) * conv_weights(layer, channels)
        channels, size = layer.filters, conv_output(size, layer)
    width = _flattened(config, size, channels)
    for layer in config.dense:
        count += width * layer.units
        width = layer.units
    return count + width * 10


def output_side(config: TrainingConfig) -> int:
    """The side of the image the convolutions leave (layers with impossible settings are skipped:
    validation names those)."""
    size = config.input_side()
    for layer in config.conv:
        possible = layer.stride in (1, 2) and type(layer.repeat) is int and 1 <= layer.repeat <= MAX_REPEAT
        if isinstance(layer.kernel_size, int) and possible:
            size = conv_output(size, layer)
    return size


def training_set_size(config: TrainingConfig) -> int:
    """Images left for training once the validation split is taken out: the split's own count."""
    hyper = config.hyper
    if not isinstance(hyper.train_images, int):
        return 0
    return hyper.train_images - preprocessing.validation_count(
        hyper.train_images, hyper.validation_fraction, hyper.folds, hyper.fold)


def steps_per_epoch(config: TrainingConfig) -> int:
    return -(-training_set_size(config) // config.hyper.batch_size)


def steps_per_execution(config: TrainingConfig) -> int:
    """How many training steps Keras runs per call, between two progress reports."""
    per_step = multiply_adds(config) * config.hyper.batch_size
    return int(max(1, min(MAX_STEPS_PER_GROUP, MULTIPLY_ADDS_PER_GROUP // max(per_step, 1))))


def _flattened(config: TrainingConfig, side: int, channels: int) -> int:
    """How many numbers the dense layers get from the convolutions' `channels` maps of `side`."""
    return channels if config.global_pool and config.conv else side * side * channels


def conv_weights(layer: ConvLayer, channels: int) -> int:
    """The weights of `layer`'s kernels over `channels` incoming maps (a multiply-add each per pixel)."""
    if layer.separable:  # one k x k filter per incoming map, then 1x1 across them
        return layer.kernel_size ** 2 * channels + channels * layer.filters
    return layer.kernel_size ** 2 * channels * layer.filters


def convolved_sides(size: int, layer: ConvLayer) -> list[int]:
    """The side of the image after each application of `layer`'s convolution (no padding, its stride)."""
    sides = []
    for _ in range(layer.repeat):
        size = (size - layer.kernel_size) // layer.stride + 1
        sides.append(size)
    return sides


def conv_output(size: int, layer: ConvLayer) -> int:
    """The side of the image after `layer`: its convolution, stride and pooling."""
    return convolved_sides(size, layer)[-1] // (2 if layer.max_pool else 1)
