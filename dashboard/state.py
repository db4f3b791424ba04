"""The glue between the pages and core: the shared dataset and cached analysis.

The dataset is loaded once per process and shared by every session (cache_resource); derived
analysis is cached per split (cache_data), keyed by the split's name rather than by the arrays,
so that a cache lookup never hashes 47 million pixels.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets

import numpy as np
import pandas as pd
import streamlit as st

from core import analysis, audit, data, embedding, evaluation, inspection, nearest, preprocessing, runs
from core.architecture import TrainingConfig, build_model, predict_probabilities, summary_rows
from core.tasks import BackgroundTasks
from core.trainings import Limits
from core.trainings.local import LocalTrainings

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")
# Server settings, with their defaults (README: "Settings").
LIMITS = {
    "MNIST_EXPLORER_MAX_TRAININGS": 1,  # trainings running at once
    "MNIST_EXPLORER_MAX_QUEUE": 20,  # trainings queued or running, for the whole server
    "MNIST_EXPLORER_MAX_QUEUED_PER_SESSION": 3,  # trainings queued or running, per browser session
    "MNIST_EXPLORER_MAX_TRAINING_MINUTES": 20,  # of training, after which a training is stopped (and kept)
}
OWNER_PARAM = "owner"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def owner() -> str:
    """This browser session's id, which owns its trainings and runs.

    A random token lives in the page's URL (?owner=...), so a reload of the same tab keeps it;
    another tab or visitor gets a token of its own. Runs and jobs record a hash of it, never the
    token itself, so nothing on the server's disk lets anyone take over a session.
    """
    token = st.session_state.get("owner_token") or st.query_params.get(OWNER_PARAM, "")
    if not _TOKEN.match(token):
        token = secrets.token_urlsafe(18)
    st.session_state["owner_token"] = token
    if st.query_params.get(OWNER_PARAM) != token:  # a page switch may drop it from the URL
        st.query_params[OWNER_PARAM] = token
    return "session-" + hashlib.sha256(token.encode()).hexdigest()[:16]


@st.cache_resource(show_spinner="Loading MNIST...")
def _load_attempt() -> data.Mnist | data.MnistUnavailable:
    """The dataset, or why it could not be loaded: a failure is remembered too, so that it is not
    retried by every rerun of every session (the no-data page has a "Try again" button)."""
    try:
        return data.load_mnist()
    except data.MnistUnavailable as failure:
        logger.error("%s", failure)
        return failure


def mnist() -> data.Mnist:
    attempt = _load_attempt()
    if isinstance(attempt, data.MnistUnavailable):
        raise attempt
    return attempt


def retry_loading() -> None:
    _load_attempt.clear()


def split_picker(key: str = "split") -> str:
    """The train/test switch that every dataset page shares (one choice, remembered across pages)."""
    return st.radio("Split", SPLITS, horizontal=True, key=key, format_func=str.capitalize)


def images_and_labels(split: str) -> tuple[np.ndarray, np.ndarray]:
    return mnist().split(split)


@st.cache_data(show_spinner=False)
def comparison_table() -> pd.DataFrame:
    return analysis.train_test_comparison(mnist())


@st.cache_data(show_spinner=False)
def class_averages(split: str) -> tuple[np.ndarray, np.ndarray]:
    return analysis.class_averages(*images_and_labels(split))


@st.cache_data(show_spinner=False)
def distances_to_class_average(split: str) -> np.ndarray:
    x, y = images_and_labels(split)
    return analysis.distances_to_class_average(x, y, class_averages(split)[0])


@st.cache_data(show_spinner=False)
def mean_gray_levels(split: str) -> np.ndarray:
    return analysis.mean_gray_levels(images_and_labels(split)[0])


@st.cache_data(show_spinner=False)
def pixel_histogram(split: str) -> np.ndarray:
    return analysis.pixel_histogram(images_and_labels(split)[0])


@st.cache_resource(show_spinner="Indexing the training images...")
def _pixel_index() -> nearest.PixelIndex:
    return nearest.PixelIndex(mnist().x_train)


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_training_images(image: np.ndarray, count: int) -> np.ndarray:
    """The training images nearest to `image` (e.g. a drawing), nearest first: a few milliseconds
    the first time, nothing when the page is redrawn for the same drawing."""
    return _pixel_index().nearest(image, count)


@st.cache_data(show_spinner=False)
def pixel_statistics() -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and std of the whole training set, as used for standardisation."""
    return preprocessing.pixel_statistics(mnist().x_train)


@st.cache_resource(show_spinner=False)
def training_queue() -> LocalTrainings:
    """The one queue of trainings of this server, shared by every session and outliving them."""
    running, queued, per_session, minutes = (limit(name) for name in LIMITS)
    return LocalTrainings(mnist(), limits=Limits(max_running=running, max_queued=queued,
                                                 max_per_owner=per_session, time_limit=minutes * 60))


def limit(name: str) -> int:
    """A server limit from its environment variable (at least 1), or its default if unset or bad."""
    raw = os.environ.get(name, "")
    try:
        return max(1, int(raw)) if raw else LIMITS[name]
    except ValueError:
        logger.warning("%s=%r is not a whole number: using %s", name, raw, LIMITS[name])
        return LIMITS[name]


@st.cache_data(show_spinner=False, max_entries=64)
def model_summary(config_json: str) -> list[dict]:
    """Layer table of a configuration (keyed by its JSON: a model is built once per change)."""
    config = TrainingConfig.from_dict(json.loads(config_json))
    return summary_rows(build_model(config, np.zeros((28, 28)), np.ones((28, 28))))


@st.cache_resource(show_spinner="Loading the model...", max_entries=8)
def run_model(run_id: str):
    """A run's Keras model, loaded once per run and shared (read-only) by every session."""
    return runs.load_model(runs.get_run(run_id))


def runs_folder_problem() -> str:
    """Why new runs cannot be saved, or '' (checked before a training, not after it)."""
    try:
        runs.check_writable()
    except runs.RunError as error:
        return str(error)
    return ""


def run_split(run_id: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of a run's validation split, or of the test set."""
    config = TrainingConfig.from_dict(runs.get_run(run_id).record["config"])
    return evaluation.split_for_run(mnist(), config, split)


@st.cache_data(show_spinner="Computing predictions...", max_entries=32)
def run_probabilities(run_id: str, split: str) -> np.ndarray:
    """Class probabilities of a run on a split: computed once per run and split."""
    return predict_probabilities(run_model(run_id), run_split(run_id, split)[0])


def usable_runs() -> list[runs.Run]:
    """The saved runs that can be loaded (finished or stopped), newest first."""
    return [run for run in runs.list_runs() if run.usable]


def run_label(run: runs.Run) -> str:
    """How a run is named in the pickers: name, id and test accuracy."""
    accuracy = run.record.get("test_accuracy")
    return f"{run.name} ({run.id})" + (f", test accuracy {accuracy:.2%}" if accuracy else "")


@st.cache_resource(show_spinner="Loading that epoch's weights...", max_entries=16)
def epoch_model(run_id: str, epoch: int):
    """A run's network as it was after `epoch`, shared (read-only) by every session."""
    return inspection.model_at_epoch(runs.get_run(run_id), epoch)


@st.cache_resource(show_spinner=False, max_entries=16)
def activation_probe(run_id: str, epoch: int) -> inspection.ActivationProbe:
    return inspection.ActivationProbe(epoch_model(run_id, epoch))


def model_at(run_id: str, epoch: int | None):
    """The network after `epoch`, or the run's final saved network when `epoch` is None."""
    return run_model(run_id) if epoch is None else epoch_model(run_id, epoch)


@st.cache_resource(show_spinner=False, max_entries=4)
def reinitialised_model(run_id: str, epoch: int | None):
    """The same network with fresh random weights, for the saliency sanity check."""
    return inspection.reinitialised(model_at(run_id, epoch))


def epoch_probabilities(run: runs.Run, split: str) -> np.ndarray:
    """Probabilities of every kept epoch on the run's split, (epochs, images, 10) float16: computed
    once with a progress bar, then read from the run folder's cache (a few milliseconds)."""
    images = run_split(run.id, split)[0]
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        bar.progress(done / total, text=f"Replaying epoch {done} of {total} on the {split} images...")

    probabilities = inspection.epoch_probabilities(run, split, images, progress)
    if bar is not None:
        bar.empty()
    return probabilities


@st.cache_resource(show_spinner=False)
def background_tasks() -> BackgroundTasks:
    """The server's one worker for long computations (layouts), shared by every session."""
    return BackgroundTasks(workers=1)


@st.cache_resource(show_spinner="Computing the activations...", max_entries=4)
def map_features(split: str, sample: int, seed: int, run_id: str | None, layer: str | None) -> np.ndarray:
    """The vectors that the map lays out and finds neighbours among: pixels, or a layer's activations.

    A resource, not data: 10,000 x 784 floats are 31 MB, which cache_data would copy on every rerun.
    """
    images = images_and_labels(split)[0][map_points(split, sample, seed)]
    features = (embedding.pixel_features(images) if run_id is None
                else embedding.layer_features(run_model(run_id), layer, images))
    features.setflags(write=False)  # shared by every session
    return features


def map_points(split: str, sample: int, seed: int) -> np.ndarray:
    return embedding.chosen_images(len(images_and_labels(split)[1]), split, sample, seed)


@st.cache_data(show_spinner="Reading the images with the network...", max_entries=8)
def map_probabilities(run_id: str, split: str, sample: int, seed: int) -> np.ndarray:
    """A run's probabilities on the map's points (the test split's come from the run's own cache)."""
    points = map_points(split, sample, seed)
    if split == "test":
        return run_probabilities(run_id, "test")[points]
    return predict_probabilities(run_model(run_id), images_and_labels(split)[0][points])


@st.cache_data(show_spinner="Ranking the labels with cleanlab...", max_entries=16)
def label_ranking(split: str, run_ids: tuple[str, ...]) -> pd.DataFrame:
    """cleanlab's ranking of `split`'s labels (index, given, suggested, quality, flagged, ...), from
    the out-of-sample probabilities of `run_ids`: the runs averaged on the test set, the folds of one
    cross-validation on the training set. Computed once per choice of runs, not on every rerun."""
    labels = images_and_labels(split)[1]
    if split == "test":
        indices = np.arange(len(labels))
        probabilities = audit.averaged([run_probabilities(run_id, "test") for run_id in run_ids])
    else:
        indices, probabilities = audit.cross_validated_probabilities(
            [runs.get_run(run_id) for run_id in run_ids],
            [run_probabilities(run_id, "validation") for run_id in run_ids])
    table = audit.rank_label_issues(labels[indices].astype(int), probabilities)
    table["index"] = indices[table["index"]]
    return table
