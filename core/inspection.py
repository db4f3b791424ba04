"""Looking inside a trained network: its training replayed epoch by epoch, its weights, what every
layer does with one input, and why it gave its answer (saliency maps).

Every run keeps the weights of each full epoch (`runs.EPOCHS_DIR`); predictions per epoch are
computed from them when first asked for and cached in the run folder as float16.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from core import files, runs
from core.architecture import is_feature_layer, predict_probabilities
from core.data import CLASSES
from core.drawing import INK_LEVEL

logger = logging.getLogger(__name__)

SALIENCY_METHODS = {  # the clearest first: the page's default
    "occlusion": "Occlusion: how much the score drops when a 4x4 patch is replaced by the baseline "
                 "there (no gradients: the network's answer itself).",
    "integrated": "Integrated gradients: each pixel's share of the score difference between a "
                  "baseline image and this one (the shares add up to that difference).",
    "smoothgrad": "SmoothGrad: the gradient averaged over noisy copies of the image, which removes "
                  "much of its speckle.",
    "gradient": "Plain gradient: how much a tiny change of each pixel would change the class's score.",
}
BASELINES = {
    "blurred": "the image itself, blurred (keeps where the ink is, not its shape)",
    "mean digit": "the average training digit",
    "gray": "a uniform mid-gray",
}
OCCLUSION_PATCH, OCCLUSION_STRIDE = 4, 2


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

    layer = next(layer for layer in model.layers if isinstance(
        layer, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.SeparableConv2D)))
    if isinstance(layer, keras.layers.SeparableConv2D):  # its spatial filters: the depthwise ones
        return "conv", np.asarray(layer.depthwise_kernel)[:, :, 0, :].transpose(2, 0, 1)
    kernel = np.asarray(layer.kernel)
    if isinstance(layer, keras.layers.Conv2D):
        return "conv", kernel[:, :, 0, :].transpose(2, 0, 1)  # (filters, k, k)
    side = int(round(np.sqrt(kernel.shape[0])))  # 28, or 14 or 20 after an input reduction
    return "dense", kernel.T.reshape(-1, side, side)  # (units, side, side): Flatten is row by row


def weight_histograms(model, bins: int = 40) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(layer name, counts, bin edges) of the kernel weights of every layer that has a kernel; a
    separable convolution has two, "(depthwise)" and "(pointwise)"."""
    found = []
    for layer in model.layers:
        kernels = {"": getattr(layer, "kernel", None),
                   " (depthwise)": getattr(layer, "depthwise_kernel", None),
                   " (pointwise)": getattr(layer, "pointwise_kernel", None)}
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


# --- why this answer -----------------------------------------------------------------------------


def baseline_image(kind: str, image: np.ndarray, mean_digit: np.ndarray) -> np.ndarray:
    """The reference image an attribution compares with. Not black: MNIST's background is black,
    so a black baseline can credit no black pixel, even one whose blackness matters."""
    if kind == "blurred":
        return ndimage.gaussian_filter(np.asarray(image, np.float32), sigma=4)
    if kind == "mean digit":
        return np.asarray(mean_digit, np.float32)
    if kind == "gray":
        return np.full((28, 28), 127.5, np.float32)
    raise ValueError(f"unknown baseline {kind!r}: choose one of {', '.join(BASELINES)}")


def logit_function(model):
    """The class scores before the softmax (a softmax saturates, which hides what the net uses)."""
    import keras

    output = model.get_layer("digit")
    hidden = keras.Model(model.input, output.input)
    kernel, bias = output.kernel, output.bias

    def logits(images):
        return keras.ops.matmul(hidden(images, training=False), kernel) + bias

    return logits


def saliency(model, image: np.ndarray, target: int, method: str, baseline: np.ndarray | None = None,
             steps: int = 128, samples: int = 25, seed: int = 0) -> np.ndarray:
    """A 28x28 map of how much each pixel pushes the score of digit `target` up (+) or down (-)."""
    logits = logit_function(model)
    image = np.asarray(image, np.float32)
    if method == "gradient":
        return _gradients(logits, image[None], target)[0]
    if method == "smoothgrad":
        noise = np.random.default_rng(seed).normal(0, 0.15 * 255, (samples, 28, 28)).astype(np.float32)
        return _gradients(logits, image[None] + noise, target).mean(axis=0)
    if baseline is None:
        raise ValueError(f"{method} needs a baseline image")
    baseline = np.asarray(baseline, np.float32)
    if method == "integrated":
        # 128 steps: with 50, the sum missed the score difference by 7% (gray baseline, a dense net)
        fractions = np.linspace(0, 1, steps + 1, dtype=np.float32)[:, None, None]
        gradients = _gradients(logits, baseline + fractions * (image - baseline), target)
        average = (gradients[:-1] + gradients[1:]).mean(axis=0) / 2  # the trapezoid rule
        return (image - baseline) * average
    if method == "occlusion":
        return _occlusion(logits, image, baseline, target)
    raise ValueError(f"unknown method {method!r}: choose one of {', '.join(SALIENCY_METHODS)}")


def _gradients(logits, images: np.ndarray, target: int) -> np.ndarray:
    import tensorflow as tf

    inputs = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        score = logits(inputs)[:, target]
    return tape.gradient(score, inputs).numpy()


def _occlusion(logits, image: np.ndarray, baseline: np.ndarray, target: int) -> np.ndarray:
    corners = range(0, 28 - OCCLUSION_PATCH + 1, OCCLUSION_STRIDE)
    patches = [(row, column) for row in corners for column in corners]
    covered = np.repeat(image[None], len(patches), axis=0)
    for number, (row, column) in enumerate(patches):
        window = (slice(row, row + OCCLUSION_PATCH), slice(column, column + OCCLUSION_PATCH))
        covered[number][window] = baseline[window]
    scores = np.asarray(logits(np.concatenate([image[None], covered])))[:, target]
    drop, total, count = scores[0] - scores[1:], np.zeros((28, 28)), np.zeros((28, 28))
    for value, (row, column) in zip(drop, patches):
        window = (slice(row, row + OCCLUSION_PATCH), slice(column, column + OCCLUSION_PATCH))
        total[window] += value
        count[window] += 1
    return (total / np.maximum(count, 1)).astype(np.float32)


def reinitialised(model, seed: int = 0):
    """The same network with fresh random weights (and the same standardisation): the sanity check
    a saliency method must pass is to look different on it."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.models.clone_model(model)  # clone_model builds new layers, newly initialised


# The sanity check compares the two maps as the page shows them: side by side on one colour scale,
# with the digit's outline drawn over both. Measured on a small dense network and a convnet: plain
# gradients of a dense network put most of their weight on the border, whose first-layer weights
# never learn (focus 0.5-0.8); occlusion and integrated gradients stay on the digit (focus 1.3-3.2),
# and the same network with random weights gives them a map 4-16 times fainter.
MIN_FOCUS = 1.2  # the map's share of weight on the digit, over the digit's share of the image
MAX_FAINT = 0.3  # random map's mean magnitude over the trained map's: below it, nearly blank beside it
MAX_LOOKALIKE = 0.6  # correlation of the two maps' (lightly blurred) magnitudes: above it, the same picture


@dataclass
class SanityCheck:
    """Whether a saliency map explains the network rather than the image, in the page's words."""

    passed: bool
    verdict: str
    focus: float  # weight on the digit's region, relative to that region's share of the image
    faintness: float  # the random-weights map's mean magnitude over the trained map's
    likeness: float  # correlation of the two maps' blurred magnitudes


def digit_region(image: np.ndarray) -> np.ndarray:
    """The pixels a map about this digit should dwell on: its ink, the holes it encloses and a
    3-pixel margin around them (where a missing stroke would be)."""
    ink = np.asarray(image) > INK_LEVEL
    return ndimage.binary_dilation(ndimage.binary_fill_holes(ink), iterations=3)


def sanity_check(trained: np.ndarray, random: np.ndarray, image: np.ndarray) -> SanityCheck:
    """Compare the map of the trained network with the same map for its random-weights copy."""
    trained_size, random_size = np.abs(trained), np.abs(random)
    region = digit_region(image)
    if trained_size.sum() == 0 or not region.any():
        return SanityCheck(False, "Blank: nothing in the image moves this score", 0.0, 0.0,
                           0.0)
    focus = float(trained_size[region].sum() / trained_size.sum() / region.mean())
    faintness = float(random_size.mean() / trained_size.mean())
    likeness = float(np.corrcoef(ndimage.gaussian_filter(trained_size, 1).ravel(),
                                 ndimage.gaussian_filter(random_size, 1).ravel())[0, 1])
    likeness = 0.0 if not np.isfinite(likeness) else likeness  # a flat random map correlates with nothing
    if focus < MIN_FOCUS:
        return SanityCheck(False, "Unclear: most of this map lies away from the digit: it shows noise "
                           "more than reasons (a dense network's border pixels never learn); try "
                           "occlusion or integrated gradients", focus, faintness, likeness)
    if faintness <= MAX_FAINT:
        return SanityCheck(True, f"Passed: with random weights the map is nearly blank "
                           f"({1 / max(faintness, 1e-9):.0f} times fainter), so this one comes from what "
                           "the network learned", focus, faintness, likeness)
    if likeness >= MAX_LOOKALIKE:
        return SanityCheck(False, "Too similar: the same network with random weights draws much the same "
                           "map, so it shows the image more than the network", focus, faintness, likeness)
    return SanityCheck(True, "Passed: the map with random weights looks different, so this one depends "
                       "on what the network learned", focus, faintness, likeness)
