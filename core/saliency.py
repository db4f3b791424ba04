"""Why a network gave its answer: saliency maps of one image for one digit's score, and the sanity
check that says whether a map explains the network (beside the same map for the network with random
weights) or only the image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from core.drawing import INK_LEVEL

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


def saliency_map(model, image: np.ndarray, target: int, method: str, baseline: np.ndarray | None = None,
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
