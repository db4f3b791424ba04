"""The dataset and what the pages compute from it, cached: loaded once per process and shared by
every session (cache_resource); analysis cached per split (cache_data), keyed by the split's name
rather than by the arrays, so that a cache lookup never hashes 47 million pixels."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from core import analysis, data, embedding, nearest, preprocessing, runs

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner="Loading MNIST...")
def _load_attempt() -> data.Mnist | data.MnistUnavailable:
    """The dataset, or why it could not be loaded: a failure is remembered too, so that it is not
    retried by every rerun of every session (the no-data page has a "Try again" button)."""
    try:
        return data.load_mnist()
    except data.MnistUnavailable as failure:
        logger.error("%s", failure)
        return failure


def whole_mnist() -> data.Mnist:
    """All of MNIST, for trainings and the challenge's scoring: never shown as it is to students
    while a challenge hides half of the test set (pages use `mnist()`)."""
    attempt = _load_attempt()
    if isinstance(attempt, data.MnistUnavailable):
        raise attempt
    return attempt


def mnist() -> data.Mnist:
    """MNIST as the pages may show it: its test set is the public half while a class challenge
    hides the other (every analysis of "test" then speaks of those 5,000 digits)."""
    from dashboard import classroom  # it reads the labels from here

    report = classroom.test_report()
    return whole_mnist() if report.indices is None else _public_half(report.challenge.seed, report.indices)


def shown_test_set() -> str:
    """Which test digits the pages show, as a key for what is cached from them ("" for all)."""
    from dashboard import classroom

    indices = classroom.test_report().indices
    return "" if indices is None else f" public half {hashlib.sha256(indices.tobytes()).hexdigest()[:12]}"


@st.cache_resource(show_spinner=False, max_entries=2)
def _public_half(seed: int, _indices: np.ndarray) -> data.Mnist:
    """The dataset with only the public half of its test set (of the challenge with that seed)."""
    whole = whole_mnist()
    return data.Mnist(whole.x_train, whole.y_train, whole.x_test[_indices], whole.y_test[_indices],
                      whole.source, whole.skipped, test_half="public")


def per_shown_test_set(**cache_options) -> Callable:
    """st.cache_data, keyed also by which test digits the pages show (`shown_test_set()`): a result
    computed on the whole test set is never served while a challenge hides half of it, even one
    that was being computed when the challenge began."""

    def decorate(function: Callable) -> Callable:
        def keyed(*args, shown: str, **kwargs):
            return function(*args, **kwargs)

        keyed.__qualname__ = function.__qualname__  # Streamlit tells cached functions apart by it
        cached = st.cache_data(**cache_options)(keyed)

        @functools.wraps(function)
        def call(*args, **kwargs):
            return cached(*args, shown=shown_test_set(), **kwargs)

        call.clear = cached.clear
        return call

    return decorate


def retry_loading() -> None:
    _load_attempt.clear()


def images_and_labels(split: str) -> tuple[np.ndarray, np.ndarray]:
    return mnist().split(split)


@per_shown_test_set(show_spinner=False)
def comparison_table() -> pd.DataFrame:
    return analysis.train_test_comparison(mnist())


@per_shown_test_set(show_spinner=False)
def class_distribution() -> pd.DataFrame:
    return analysis.class_distribution(mnist().y_train, mnist().y_test)


@per_shown_test_set(show_spinner=False)
def distribution_test() -> tuple[float, float]:
    """Chi-square test of the train and test class distributions: (chi2, p-value)."""
    return analysis.distribution_test(mnist().y_train, mnist().y_test)


@per_shown_test_set(show_spinner=False)
def class_averages(split: str) -> tuple[np.ndarray, np.ndarray]:
    return analysis.class_averages(*images_and_labels(split))


@per_shown_test_set(show_spinner=False)
def distances_to_class_average(split: str) -> np.ndarray:
    x, y = images_and_labels(split)
    return analysis.distances_to_class_average(x, y, class_averages(split)[0])


@per_shown_test_set(show_spinner=False)
def mean_gray_levels(split: str) -> np.ndarray:
    return analysis.mean_gray_levels(images_and_labels(split)[0])


@per_shown_test_set(show_spinner=False)
def pixel_histogram(split: str) -> np.ndarray:
    return analysis.pixel_histogram(images_and_labels(split)[0])


@st.cache_data(show_spinner=False)
def pixel_statistics() -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and std of the whole training set, as used for standardisation."""
    return preprocessing.pixel_statistics(mnist().x_train)


@st.cache_resource(show_spinner="Indexing the training images...")
def _pixel_index() -> nearest.PixelIndex:
    return nearest.PixelIndex(mnist().x_train)


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_training_images(image: np.ndarray, count: int) -> np.ndarray:
    """The training images nearest to `image` (e.g. a drawing), nearest first: a few milliseconds
    the first time, nothing when the page is redrawn for the same drawing."""
    return _pixel_index().nearest(image, count)


def map_points(split: str, sample: int, seed: int) -> np.ndarray:
    return embedding.chosen_images(len(images_and_labels(split)[1]), split, sample, seed)


def usable_runs() -> list[runs.Run]:
    """The saved runs that can be loaded (finished or stopped), newest first (core.runs reads each
    run's record once per version of it)."""
    return [run for run in runs.list_runs() if run.usable]
