import time

import numpy as np
import pytest

from core.data import Mnist
from harness.apptest import APP, open_page  # noqa: F401  (the tests' one way to open a page)


def button(app, label: str):
    """The page's button with that label (the first, if several)."""
    return next(b for b in app.button if b.label == label)


@pytest.fixture
def tiny_mnist() -> Mnist:
    """A small random dataset shaped like MNIST: 120 train and 40 test images, every digit present."""
    rng = np.random.default_rng(7)
    return Mnist(
        x_train=rng.integers(0, 256, (120, 28, 28), dtype=np.uint8),
        y_train=np.arange(120, dtype=np.uint8) % 10,
        x_test=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
        y_test=(np.arange(40, dtype=np.uint8) * 3) % 10,
    )


@pytest.fixture(scope="session")
def real_mnist() -> Mnist:
    """The real MNIST (from the project cache after the first load)."""
    from core.data import MnistUnavailable, load_mnist

    try:
        return load_mnist()
    except MnistUnavailable as error:
        pytest.skip(f"the real MNIST is not installed: {error}")


@pytest.fixture(scope="session")
def early_stopped_run(real_mnist, tmp_path_factory):
    """A run stopped early by its patience: a large rate on a small slice, whose validation loss
    rises after the first epochs; its best epoch's weights restored."""
    from core import training
    from core.architecture import DenseLayer
    from core.jobs import TrainingJob

    config = tiny_config(epochs=30, train_images=1000, patience=1)
    config.dense = [DenseLayer(128)]
    config.hyper.learning_rate = 0.02
    return training.train(TrainingJob(config), real_mnist, tmp_path_factory.mktemp("early"))


@pytest.fixture
def runs_folder(tmp_path, monkeypatch):
    """A fresh runs folder for the dashboard and everything that saves runs by default."""
    from core import runs

    monkeypatch.setenv(runs.RUNS_ENV, str(tmp_path))
    return tmp_path


def tiny_config(epochs: int = 2, train_images: int = 2000, **hyper):
    """A tiny network on a small slice: trains in about a second."""
    from core.architecture import DenseLayer, Hyperparameters, TrainingConfig

    return TrainingConfig(preset="custom", dense=[DenseLayer(16)], hyper=Hyperparameters(
        optimizer="adam", learning_rate=0.003, batch_size=64, epochs=epochs,
        train_images=train_images, **hyper))


def valid_record(name: str = "kept", status: str = "finished", **fields) -> dict:
    """A run.json record that passes validation, for runs saved by tests without training."""
    return {"name": name, "status": status, "owner": "terminal", "config": tiny_config().to_dict(),
            "history": {"val_loss": [0.5, 0.4], "val_accuracy": [0.8, 0.9]},
            "validation_accuracy": 0.9, "test_accuracy": 0.9, "epochs_run": 2,
            "finished_at": time.time(), **fields}  # the Runs page lists the newest first


# `make test` sets this: there, every test's needs are installed by the same command, so a skip
# means an install step broke (no data, no browser) and must fail the run instead of hiding it.
NO_SKIPS_ENV = "MNIST_EXPLORER_NO_SKIPS"
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    import os

    if _skipped and os.environ.get(NO_SKIPS_ENV) == "1" and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    import os

    if _skipped and os.environ.get(NO_SKIPS_ENV) == "1":
        terminalreporter.write_line(f"FAILED: {len(_skipped)} test(s) skipped while {NO_SKIPS_ENV}=1 "
                                    "(something the tests need is not installed): "
                                    + ", ".join(_skipped), red=True)


TEACHER_PASSWORD = "a teacher's secret"


@pytest.fixture
def in_class(runs_folder, monkeypatch):
    """Class mode (a teacher's password set) on a fresh runs folder: nothing kept from another test
    (names, settings, the challenge, the sign-in guard's count)."""
    import streamlit as st

    from dashboard import classroom

    def forget() -> None:
        for cached in (classroom._guard, classroom._report):
            cached.clear()
        st.cache_data.clear()

    monkeypatch.setenv(classroom.TEACHER_PASSWORD_ENV, TEACHER_PASSWORD)
    forget()
    yield TEACHER_PASSWORD
    forget()
