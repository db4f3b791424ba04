"""Looking inside a trained network: its training replayed epoch by epoch, its weights, what every
layer does with one input (why it answered: `core.saliency`).

Every run keeps the weights of each full epoch (`runs.EPOCHS_DIR`); predictions per epoch are
computed from them when first asked for and cached in the run folder as float16.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from core import files, runs
from core.architecture import is_feature_layer, predict_probabilities
from core.data import CLASSES

logger = logging.getLogger(__name__)

# --- replaying the training ----------------------------------------------------------------------


def epochs_kept(run: runs.Run) -> int:
    """How many epochs' weights the run kept (0 for runs made before they were kept)."""
    return len(runs.epoch_weights(run))


def model_at_epoch(run: runs.Run, epoch: int):
    """The run's network with the weights it had after `epoch` (1-based)."""
    weights = runs.epoch_weights(run)
    if not 1 <= epoch <= len(weights):
        raise runs.RunError(f"run {run.name} kept {len(weights)} epoch(s); there is no epoch {epoch}")
    model = runs.load_model(run)  # the architecture and the standardisation, from the saved model
    runs.load_epoch_weights(weights[epoch - 1], model)
    return model


def epoch_probabilities(run: runs.Run, split: str, images: np.ndarray,
                        progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Class probabilities of every kept epoch on `images` (the run's `split`), shape
    (epochs, images, 10), float16: computed once, then read from the run folder's cache."""
    weights = runs.epoch_weights(run)
    cache = run.folder / runs.PREDICTIONS_DIR / f"{split}.npy"
    expected = (len(weights), len(images), len(CLASSES))
    try:
        cached = np.load(cache, allow_pickle=False)
        if cached.shape == expected and cached.dtype == np.float16:
            return cached
        logger.warning("ignoring %s: shape %s, expected %s", cache, cached.shape, expected)
    except (OSError, ValueError):  # not computed yet, or damaged: computed again
        pass
    model = runs.load_model(run)
    result = np.empty(expected, np.float16)
    for number, path in enumerate(weights, 1):
        runs.load_epoch_weights(path, model)
        result[number - 1] = predict_probabilities(model, images)
        if progress:
            progress(number, len(weights))
    try:
        cache.parent.mkdir(exist_ok=True)
        files.atomic_write(cache, lambda stream: np.save(stream, result))
    except OSError as error:  # a read-only runs folder: still shown, only not kept
        logger.warning("could not cache %s: %s", cache, error)
    return result


def recall_by_epoch(y_true: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Recall of each digit (rows) after each epoch (columns); NaN for a digit absent from y_true."""
    right = predictions == y_true[None, :]
    recall = np.full((len(CLASSES), len(predictions)), np.nan)
    for digit in CLASSES:
        members = y_true == digit
        if members.any():
            recall[digit] = right[:, members].mean(axis=1)
    return recall


def learned_and_forgotten(y_true: np.ndarray, before: np.ndarray, after: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(images wrong before and right after, images right before and wrong after)."""
    right_before, right_after = before == y_true, after == y_true
    return np.flatnonzero(~right_before & right_after), np.flatnonzero(right_before & ~right_after)


# --- weights -------------------------------------------------------------------------------------


def first_layer_images(model) -> tuple[str, np.ndarray]:
    """("dense", one 28x28 image of input weights per unit) for a fully-connected first layer, or
    ("conv", one kernel image per filter) for a convolutional one."""
    import keras

    kinds = (keras.layers.Dense, keras.layers.Conv2D, keras.layers.SeparableConv2D)
    layer = next(weights for weights in map(_holding_kernels, model.layers) if isinstance(weights, kinds))
    if isinstance(layer, keras.layers.SeparableConv2D):  # its spatial filters: the depthwise ones
        return "conv", np.asarray(layer.depthwise_kernel)[:, :, 0, :].transpose(2, 0, 1)
    kernel = np.asarray(layer.kernel)
    if isinstance(layer, keras.layers.Conv2D):
        return "conv", kernel[:, :, 0, :].transpose(2, 0, 1)  # (filters, k, k)
    side = int(round(np.sqrt(kernel.shape[0])))  # 28, or 14 or 20 after an input reduction
    return "dense", kernel.T.reshape(-1, side, side)  # (units, side, side): Flatten is row by row


def _holding_kernels(layer):
    """The layer whose kernels `layer` holds: itself, or a repeated convolution's one convolution."""
    return getattr(layer, "convolution", layer)


def weight_histograms(model, bins: int = 40) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(layer name, counts, bin edges) of the kernel weights of every layer that has a kernel; a
    separable convolution has two, "(depthwise)" and "(pointwise)"."""
    found = []
    for layer in model.layers:
        weights = _holding_kernels(layer)
        kernels = {"": getattr(weights, "kernel", None),
                   " (depthwise)": getattr(weights, "depthwise_kernel", None),
                   " (pointwise)": getattr(weights, "pointwise_kernel", None)}
        for suffix, kernel in kernels.items():
            if kernel is not None:
                counts, edges = np.histogram(np.asarray(kernel).ravel(), bins=bins)
                found.append((layer.name + suffix, counts, edges))
    return found


# --- activations ---------------------------------------------------------------------------------


class ActivationProbe:
    """Gives the output of every layer worth looking at for one input: dense and convolutional
    layers, pooling, and the output probabilities. Built once per model (building costs more than
    a call)."""

    def __init__(self, model):
        import keras

        shown = [layer for layer in model.layers if is_feature_layer(layer)]
        self.names = [layer.name for layer in shown]
        self._model = keras.Model(model.input, [layer.output for layer in shown])

    def __call__(self, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """(layer name, activations) for one raw 28x28 image: a vector for a dense layer,
        (height, width, maps) for a convolution or pooling; the last is the output's probabilities."""
        outputs = self._model(np.asarray(image, np.float32)[None], training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        return [(name, np.asarray(output)[0]) for name, output in zip(self.names, outputs)]
