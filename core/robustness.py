"""How robust a network is: distortions of the test digits at a strength you dial, and adversarial
digits (FGSM and PGD, L-infinity) made from the gradients of the network's own logits.

Images are raw 28x28 gray levels 0..255 (uint8), as the models take them. A strength of 0 changes
nothing; every random choice comes from a seed, so the same call gives the same digits.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class Distortion:
    unit: str  # how its strength is said
    strengths: tuple[float, ...]  # the curve's points, from none to strong
    what: str  # what it does, in words


DISTORTIONS = {
    "rotation": Distortion("degrees", (-60, -45, -30, -15, 0, 15, 30, 45, 60),
                           "turned about the image's centre"),
    "shift": Distortion("pixels", (0, 1, 2, 3, 4, 5, 6, 7, 8),
                        "moved this far in a random direction (one per digit)"),
    "scale": Distortion("times", (0.5, 0.625, 0.75, 0.875, 1.0, 1.125, 1.25, 1.375, 1.5),
                        "shrunk or enlarged about the image's centre"),
    "thickness": Distortion("pixels", (-1.5, -1.0, -0.5, -0.25, 0, 0.25, 0.5, 1.0, 1.5),
                            "strokes thinned (below 0) or thickened (above) by an octagonal pen, at 4x "
                            "resolution"),
    "noise": Distortion("gray levels", (0, 16, 32, 48, 64, 80, 96, 112, 128),
                        "Gaussian noise of this standard deviation added to every pixel"),
    "blur": Distortion("pixels", (0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0), "Gaussian blur of this radius"),
    "contrast": Distortion("of the ink", (1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05),
                           "the ink faded to this share of its gray level"),
}
NEUTRAL = {"rotation": 0, "shift": 0, "scale": 1.0, "thickness": 0, "noise": 0, "blur": 0, "contrast": 1.0}
EPSILONS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)  # of the full scale: 0.1 is 25.5 gray levels
PGD_STEPS = 20
UPSAMPLE = 4  # thickness is changed at 4x resolution, so that fractions of a pixel exist
CENTRE = 13.5  # the centre of a 28x28 image, in pixel coordinates
# "Train it again with these distortions": random changes of each training image (the training
# configuration's augmentation fields), strong enough to matter, mild enough to keep a 6 from a 9
AUGMENTATION = {"rotation": 15.0, "shift": 0.1, "scale": 0.1, "noise": 24.0}


def distort(images: np.ndarray, kind: str, strength: float, seed: int = 0) -> np.ndarray:
    """`images` (n, 28, 28) uint8 under distortion `kind` at `strength`; uint8 again."""
    if kind not in DISTORTIONS:
        raise ValueError(f"unknown distortion {kind!r}: choose one of {', '.join(DISTORTIONS)}")
    pictures = np.asarray(images, dtype=np.float32)
    if strength == NEUTRAL[kind]:
        return np.asarray(images, dtype=np.uint8).copy()
    rng = np.random.default_rng(seed)
    if kind == "rotation":  # counter-clockwise, as a positive angle turns on paper
        out = _warped(pictures, [cv2.getRotationMatrix2D((CENTRE, CENTRE), strength, 1.0)])
    elif kind == "shift":
        angles = rng.uniform(0, 2 * np.pi, len(pictures))
        out = _warped(pictures, [np.array([[1, 0, strength * np.cos(a)], [0, 1, strength * np.sin(a)]])
                                 for a in angles])
    elif kind == "scale":
        out = _warped(pictures, [cv2.getRotationMatrix2D((CENTRE, CENTRE), 0, strength)])
    elif kind == "thickness":
        out = _thickness(pictures, strength)
    elif kind == "noise":
        out = pictures + strength * rng.standard_normal(pictures.shape, dtype=np.float32)
    elif kind == "blur":
        out = ndimage.gaussian_filter(pictures, sigma=(0, strength, strength))
    else:  # contrast
        out = pictures * strength
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def bend(image: np.ndarray, rotation: float = 0.0, right: float = 0.0, down: float = 0.0,
         thickness: float = 0.0) -> np.ndarray:
    """One 28x28 digit turned (degrees), thickened (pixels) and moved (pixels right and down), as the
    Draw page's sliders ask; uint8."""
    out = distort(distort(image[None], "rotation", rotation), "thickness", thickness)[0]
    if right or down:
        out = np.clip(np.rint(_warped(out[None].astype(np.float32), [np.array([[1, 0, right], [0, 1, down]],
                                                                               float)])[0]), 0, 255)
    return out.astype(np.uint8)


def _warped(pictures: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
    """Each picture moved by its 2x3 affine matrix (one for all, or one each), bilinear, the border
    uncovered blank: OpenCV, a few microseconds a digit."""
    return np.stack([cv2.warpAffine(picture, matrices[number % len(matrices)], picture.shape[::-1],
                                    flags=cv2.INTER_LINEAR, borderValue=0)
                     for number, picture in enumerate(pictures)])


def _thickness(pictures: np.ndarray, pixels: float) -> np.ndarray:
    """Grey dilation (thicker) or erosion (thinner) by a round pen of `pixels` radius, at 4x
    resolution (so that fractions of a pixel exist), then averaged back to 28x28."""
    radius = int(round(abs(pixels) * UPSAMPLE))
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    change = cv2.dilate if pixels > 0 else cv2.erode
    large = (28 * UPSAMPLE,) * 2
    return np.stack([cv2.resize(change(cv2.resize(picture, large, interpolation=cv2.INTER_NEAREST), pen),
                                (28, 28), interpolation=cv2.INTER_AREA) for picture in pictures])


def accuracy(predict: Callable[[np.ndarray], np.ndarray], images: np.ndarray, labels: np.ndarray) -> float:
    """The share read right; `predict` gives class probabilities for raw uint8 images."""
    return float((predict(images).argmax(axis=1) == labels).mean())


def strength_curve(predict, images: np.ndarray, labels: np.ndarray, kind: str,
                   seed: int = 0) -> list[tuple[float, float]]:
    """(strength, accuracy) at each of the distortion's strengths, on the same digits."""
    return [(strength, accuracy(predict, distort(images, kind, strength, seed), labels))
            for strength in DISTORTIONS[kind].strengths]


# --- adversarial digits ----------------------------------------------------------------------------
def logits_of(model) -> Callable:
    """The network's logits (its output before the softmax) for float images 0..255: the gradients
    of a softmax's output vanish where the network is sure, those of its logits do not."""
    import keras
    import tensorflow as tf

    output = model.get_layer("digit")
    features = keras.Model(model.inputs, output.input)

    def logits(images):
        return tf.matmul(features(images, training=False), output.kernel) + output.bias

    return logits


def attack(model, images: np.ndarray, labels: np.ndarray, epsilon: float, steps: int = 1,
           batch_size: int = 1000) -> np.ndarray:
    """Adversarial versions of `images` within `epsilon` (share of the full scale) of each pixel:
    FGSM with steps=1 (one step of epsilon), PGD otherwise (`steps` steps of 2.5 epsilon / steps,
    each projected back into the epsilon box). Gray levels stay in 0..255; uint8 out."""
    if epsilon <= 0:
        return np.asarray(images, dtype=np.uint8).copy()
    if model not in _GRADIENT_SIGNS:
        _GRADIENT_SIGNS[model] = _gradient_sign(logits_of(model))
    return np.concatenate([_attack(_GRADIENT_SIGNS[model], images[start:start + batch_size],
                                   labels[start:start + batch_size], epsilon * 255.0, steps)
                           for start in range(0, len(images), batch_size)])


# model: its compiled gradient sign (traced once per model, not once per attack: a graph runs the
# 7 epsilons of a curve in about half the time eager steps take)
_GRADIENT_SIGNS = weakref.WeakKeyDictionary()


def _gradient_sign(logits):
    """The sign of the cross-entropy's gradient with respect to the images, as a TensorFlow graph."""
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def gradient_sign(images, targets):
        with tf.GradientTape() as tape:
            tape.watch(images)
            loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits(images)))
        return tf.sign(tape.gradient(loss, images))

    return gradient_sign


def _attack(gradient_sign, images: np.ndarray, labels: np.ndarray, bound: float, steps: int) -> np.ndarray:
    import tensorflow as tf

    original = tf.constant(images, tf.float32)
    targets = tf.constant(labels, tf.int64)
    step = bound if steps == 1 else 2.5 * bound / steps
    adversarial = original
    for _ in range(steps):
        moved = adversarial + step * gradient_sign(adversarial, targets)
        within = tf.clip_by_value(moved, original - bound, original + bound)
        adversarial = tf.clip_by_value(within, 0.0, 255.0)
    # rounded to gray levels, as an image is; never past the bound
    return np.clip(np.rint(adversarial.numpy()), np.maximum(images - bound, 0), np.minimum(
        images.astype(np.float32) + bound, 255)).astype(np.uint8)


def attack_curve(model, predict, images: np.ndarray, labels: np.ndarray, steps: int = 1,
                 epsilons=EPSILONS) -> list[tuple[float, float]]:
    """(epsilon, accuracy under the attack) at each epsilon, on the same digits."""
    return [(epsilon, accuracy(predict, attack(model, images, labels, epsilon, steps), labels))
            for epsilon in epsilons]


@dataclass(frozen=True)
class Flip:
    epsilon: float  # the smallest found, to the bisection's precision
    adversarial: np.ndarray  # the digit at that epsilon (uint8)
    read_as: int


def smallest_flip(model, predict, image: np.ndarray, label: int, steps: int = PGD_STEPS,
                  largest: float = 0.3, precision: float = 0.005) -> Flip | None:
    """The smallest epsilon (to `precision`, by bisection) at which the attack makes the network read
    `image` as another digit than `label`; None if even `largest` does not."""
    def tried(epsilon):
        adversarial = attack(model, image[None], np.array([label]), epsilon, steps)
        return adversarial[0], int(predict(adversarial).argmax(axis=1)[0])

    adversarial, read = tried(largest)
    if read == label:
        return None
    low, high = 0.0, largest
    while high - low > precision:
        middle = (low + high) / 2
        candidate, answer = tried(middle)
        if answer != label:
            high, adversarial, read = middle, candidate, answer
        else:
            low = middle
    return Flip(round(high, 4), adversarial, read)


def augmented(config, changes: dict[str, float] | None = None):
    """`config` (a TrainingConfig) again, its network and settings whole, with random changes of the
    training images on: AUGMENTATION's, or `changes`."""
    hyper = dataclasses.replace(config.hyper, **(AUGMENTATION if changes is None else changes))
    return dataclasses.replace(config, hyper=hyper)


def retrained_from(child, parent) -> bool:
    """Whether configuration `child` is `parent`'s network and settings trained again with random
    changes of the images (and perhaps another seed)."""
    def bare(config):
        plain = augmented(config, {name: 0.0 for name in AUGMENTATION})
        return dataclasses.replace(plain, preset="", hyper=dataclasses.replace(plain.hyper, seed=0))

    return child.hyper.augmented() and bare(child) == bare(parent)
