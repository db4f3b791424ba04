"""The dataset questions of the classic analysis, answered with vectorised numpy.

Loops here run over the ten classes at most, never over images.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from core.data import CLASSES, Mnist

N_CLASSES = len(CLASSES)
GRAY_LEVELS = 256


def class_counts(labels: np.ndarray) -> np.ndarray:
    return np.bincount(labels, minlength=N_CLASSES)


def mean_gray_levels(images: np.ndarray) -> np.ndarray:
    """Mean pixel value of each image, 0-255."""
    return images.reshape(len(images), -1).mean(axis=1)


def ink_coverage(images: np.ndarray) -> np.ndarray:
    """Fraction of each image's pixels that carry any ink (are not exactly 0)."""
    return np.count_nonzero(images.reshape(len(images), -1), axis=1) / images[0].size


def per_class_mean(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean of `values` over the images of each class."""
    return np.bincount(labels, weights=values, minlength=N_CLASSES) / class_counts(labels)


def class_distribution(y_train: np.ndarray, y_test: np.ndarray) -> pd.DataFrame:
    """Counts and percentages of each digit in train and test, one row per digit."""
    train, test = class_counts(y_train), class_counts(y_test)
    return pd.DataFrame({
        "digit": list(CLASSES),
        "train count": train,
        "train %": 100 * train / train.sum(),
        "test count": test,
        "test %": 100 * test / test.sum(),
    })


def distribution_test(y_train: np.ndarray, y_test: np.ndarray) -> tuple[float, float]:
    """Chi-square test of independence between split and digit: (chi2, p-value)."""
    chi2, p_value, _, _ = chi2_contingency(np.stack([class_counts(y_train), class_counts(y_test)]))
    return float(chi2), float(p_value)


def train_test_comparison(data: Mnist) -> pd.DataFrame:
    """Per digit: share of each split, mean gray level and mean ink coverage in each split."""
    table = class_distribution(data.y_train, data.y_test)
    columns = {"digit": table["digit"], "train %": table["train %"], "test %": table["test %"]}
    for split in ("train", "test"):
        x, y = data.split(split)
        columns[f"{split} mean gray"] = per_class_mean(mean_gray_levels(x), y)
    for split in ("train", "test"):
        x, y = data.split(split)
        columns[f"{split} ink %"] = 100 * per_class_mean(ink_coverage(x), y)
    return pd.DataFrame(columns)


def class_averages(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-digit average image and per-pixel standard deviation, each of shape (10, 28, 28)."""
    means = np.zeros((N_CLASSES, *images.shape[1:]))
    stds = np.zeros_like(means)
    for digit in CLASSES:
        members = images[labels == digit].astype(np.float64)
        if len(members):
            means[digit], stds[digit] = members.mean(axis=0), members.std(axis=0)
    return means, stds


def distances_to_class_average(
    images: np.ndarray, labels: np.ndarray, averages: np.ndarray
) -> np.ndarray:
    """Euclidean distance (in 0-255 pixel units) of every image to the average of its own digit."""
    distances = np.empty(len(images))
    flat = images.reshape(len(images), -1)
    for digit in CLASSES:
        members = labels == digit
        difference = flat[members].astype(np.float32) - averages[digit].ravel().astype(np.float32)
        distances[members] = np.sqrt(np.einsum("ij,ij->i", difference, difference))
    return distances


def nearest_and_farthest(
    distances: np.ndarray, labels: np.ndarray, digit: int, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the k images of `digit` nearest to and farthest from its average.

    Nearest first in the first array, farthest first in the second.
    """
    members = np.flatnonzero(labels == digit)
    order = members[np.argsort(distances[members], kind="stable")]
    return order[:k], order[::-1][:k]


def pixel_histogram(images: np.ndarray) -> np.ndarray:
    """How many pixels have each gray level 0..255: 256 counts, ready for a bar chart."""
    return np.bincount(images.ravel(), minlength=GRAY_LEVELS)


def gray_level_histogram(mean_levels: np.ndarray) -> np.ndarray:
    """How many images have each integer mean gray level 0..255, from `mean_gray_levels`."""
    return np.bincount(np.floor(mean_levels).astype(np.int64), minlength=GRAY_LEVELS)


def sample_indices(
    labels: np.ndarray, how: str, count: int, seed: int = 0, digit: int | None = None
) -> np.ndarray:
    """Which images to show: the "first" ones, "random" ones, or random ones of one "digit"."""
    if how == "first":
        return np.arange(min(count, len(labels)))
    pool = np.arange(len(labels)) if how == "random" else np.flatnonzero(labels == digit)
    if how not in ("random", "digit"):
        raise ValueError(f"unknown sampling {how!r}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))


def montage(images: np.ndarray, columns: int, gap: int = 2) -> np.ndarray:
    """Tile same-size images into one picture, row by row, with a `gap`-pixel dark border.

    One composed image renders far faster in the browser than hundreds of small ones.
    """
    count, height, width = images.shape
    rows = max(1, -(-count // columns))
    canvas = np.zeros((rows * (height + gap) + gap, columns * (width + gap) + gap), images.dtype)
    for start in range(0, count, columns):  # one slice assignment per row of tiles
        row = images[start : start + columns]
        top = (start // columns) * (height + gap) + gap
        tiles = np.pad(row, ((0, 0), (0, 0), (0, gap)))  # each tile with its right-hand gap
        strip = tiles.transpose(1, 0, 2).reshape(height, -1)
        canvas[top : top + height, gap : gap + strip.shape[1]] = strip
    return canvas
