"""A map of the digits: 2-D layouts (PCA, UMAP, t-SNE) of raw pixels or of any layer's activations,
computed once per set of inputs and cached on disk, and the nearest neighbours in the chosen space.

A layout is determined by: which images (the test set, or a seeded sample of the training set),
which space (pixels, or a run's layer), the method, its parameters and the seed. `layout_key`
hashes all of them; the cache file is named by that hash, so any session that asks the same
question gets the same answer from disk.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core import files
from core.architecture import is_feature_layer

logger = logging.getLogger(__name__)

METHODS = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}
# Each method's main parameters: default, and bounds a user may choose within.
PARAMETERS = {
    "pca": {},
    "umap": {"n_neighbors": (15, 2, 200), "min_dist": (0.1, 0.0, 0.99)},
    "tsne": {"perplexity": (30.0, 2.0, 100.0), "n_iter": (500, 250, 2000)},
}
PRE_PCA = 50  # UMAP and t-SNE run on the first 50 principal components: faster, and less noise
MAX_TRAIN_SAMPLE = 20_000
PIXELS = "pixels"


def chosen_images(labels_count: int, split: str, sample: int, seed: int) -> np.ndarray:
    """Indices of the images to place: the whole test set, or a seeded sample of the training set."""
    if split == "test":
        return np.arange(labels_count)
    if not 1 <= sample <= min(MAX_TRAIN_SAMPLE, labels_count):
        raise ValueError(f"the training sample must hold 1 to {MAX_TRAIN_SAMPLE:,} images, got {sample}")
    return np.sort(np.random.default_rng(seed).choice(labels_count, sample, replace=False))


def pixel_features(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255


def layer_names(model) -> list[str]:
    """The layers whose activations can be mapped: every dense, convolution and pooling layer but
    the output, last hidden layer first (the network's own view of the digits)."""
    hidden = [layer.name for layer in model.layers[:-1] if is_feature_layer(layer)]
    return hidden[::-1]


def layer_features(model, layer: str, images: np.ndarray, batch_size: int = 2048) -> np.ndarray:
    """The activations of `layer` for raw images, one flat row per image."""
    import keras

    probe = keras.Model(model.input, model.get_layer(layer).output)
    parts = [np.asarray(probe(images[start:start + batch_size], training=False))
             for start in range(0, len(images), batch_size)]
    return np.concatenate(parts).reshape(len(images), -1).astype(np.float32)


def check_parameters(method: str, parameters: dict) -> dict:
    """The parameters with defaults filled in; ValueError naming anything unknown or out of bounds."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    known = PARAMETERS[method]
    if unknown := set(parameters) - set(known):
        raise ValueError(f"{METHODS[method]} has no parameter {', '.join(sorted(unknown))}")
    checked = {}
    for name, (default, low, high) in known.items():
        value = parameters.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ValueError(f"{METHODS[method]} {name} must be between {low} and {high}, got {value!r}")
        checked[name] = type(default)(value)
    return checked


def embed(features: np.ndarray, method: str, parameters: dict, seed: int) -> np.ndarray:
    """A 2-D layout of the rows of `features`: the same inputs and seed give the same layout."""
    from sklearn.decomposition import PCA

    parameters = check_parameters(method, parameters)
    if method == "pca":
        return PCA(2, random_state=seed).fit_transform(features).astype(np.float32)
    reduced = PCA(min(PRE_PCA, *features.shape), random_state=seed).fit_transform(features)
    if method == "umap":
        import umap  # numba compiles it on the first call in a process (about half a minute)

        layout = umap.UMAP(n_components=2, random_state=seed, **parameters).fit_transform(reduced)
    else:
        from openTSNE import TSNE

        layout = np.asarray(TSNE(n_components=2, perplexity=parameters["perplexity"],
                                 n_iter=parameters["n_iter"], n_jobs=2,
                                 random_state=seed).fit(reduced))
    return layout.astype(np.float32)


def layout_key(**determinants) -> str:
    """A short name for everything that determines a layout (data, run, layer, method, ...)."""
    text = json.dumps(determinants, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_folder() -> Path:
    """Beside the dataset's cache (MNIST_EXPLORER_CACHE): layouts are derived data, like it."""
    from core.data import cache_path

    return cache_path().parent / "layouts"


def stored_layout(key: str, folder: Path | None = None) -> np.ndarray | None:
    """The layout stored under `key`, or None if there is none (or it is unreadable)."""
    try:
        return np.load((folder or cache_folder()) / f"{key}.npy", allow_pickle=False)
    except (OSError, ValueError):
        return None


def cached_layout(key: str, compute: Callable[[], np.ndarray], folder: Path | None = None) -> np.ndarray:
    """The layout stored under `key`, or `compute()`'s, stored for every later asker."""
    path = (folder or cache_folder()) / f"{key}.npy"
    if (stored := stored_layout(key, folder)) is not None:
        return stored
    layout = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, layout)
        files.atomic_write(path, lambda stream: stream.write(buffer.getvalue()))
    except OSError as error:  # a read-only cache: still shown, only computed again next time
        logger.warning("could not cache the layout %s: %s", path, error)
    return layout


def nearest_neighbours(features: np.ndarray, index: int, count: int = 8) -> np.ndarray:
    """The `count` rows nearest to row `index` by Euclidean distance, nearest first (not itself)."""
    distances = np.einsum("ij,ij->i", features - features[index], features - features[index])
    distances[index] = np.inf
    nearest = np.argpartition(distances, count)[:count]
    return nearest[np.argsort(distances[nearest], kind="stable")]
