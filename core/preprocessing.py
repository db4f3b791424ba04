"""Standardisation and the train/validation split, as in the classic analysis."""

from __future__ import annotations

import numpy as np

# Added to the per-pixel std so that pixels blank in every training image (std 0) do not divide by 0.
STD_EPSILON = 1e-10


def pixel_statistics(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and std (+ STD_EPSILON) over a set of images, each of the image's shape."""
    pixels = images.astype(np.float64)
    return pixels.mean(axis=0), pixels.std(axis=0) + STD_EPSILON


def standardise(images: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return ((images - mean) / std).astype(np.float32)


def validation_split(
    count: int, validation_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded random split of range(count) into (train indices, validation indices)."""
    if not 0 < validation_fraction < 1:
        raise ValueError(f"validation fraction must be between 0 and 1, got {validation_fraction}")
    order = np.random.default_rng(seed).permutation(count)
    n_validation = max(1, round(count * validation_fraction))
    return np.sort(order[n_validation:]), np.sort(order[:n_validation])
