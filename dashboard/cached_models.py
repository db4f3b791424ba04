"""Trained networks and what the pages ask of them, cached: models loaded once per run and epoch
and shared, read-only, by every session; predictions, activations, saliency maps and the label
ranking computed once per question."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from core import audit, corruptions, embedding, evaluation, inspection, mnist_c, robustness, runs, saliency
from core.architecture import TrainingConfig, build_model, predict_probabilities, summary_rows
from dashboard import classroom
from dashboard.cached_data import (
    images_and_labels,
    map_points,
    mnist,
    per_shown_test_set,
    pixel_statistics,
    whole_mnist,
)


@st.cache_data(show_spinner=False, max_entries=64)
def model_summary(config_json: str) -> list[dict]:
    """Layer table of a configuration (keyed by its JSON: a model is built once per change)."""
    config = TrainingConfig.from_dict(json.loads(config_json))
    return summary_rows(build_model(config, np.zeros((28, 28)), np.ones((28, 28))))


@st.cache_resource(show_spinner="Loading the model...", max_entries=8)
def run_model(run_id: str):
    """A run's Keras model, loaded once per run and shared (read-only) by every session."""
    return runs.load_model(runs.get_run(run_id))


def run_split(run_id: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels of a run's validation split, or of the test set."""
    config = TrainingConfig.from_dict(runs.get_run(run_id).record["config"])
    return evaluation.split_for_run(mnist(), config, split)


@per_shown_test_set(show_spinner="Computing predictions...", max_entries=32)
def run_probabilities(run_id: str, split: str) -> np.ndarray:
    """Class probabilities of a run on a split: computed once per run and split."""
    return predict_probabilities(run_model(run_id), run_split(run_id, split)[0])


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
    return saliency.reinitialised(model_at(run_id, epoch))


def epoch_probabilities(run: runs.Run, split: str) -> np.ndarray:
    """Probabilities of every kept epoch on the run's split, (epochs, images, 10) float16: computed
    once with a progress bar, then read from the run folder's cache (a few milliseconds)."""
    # while a challenge hides half the test set, the run's cache still holds all 10,000 digits
    shown = classroom.test_report().indices if split == "test" else None
    images = run_split(run.id, split)[0] if shown is None else whole_mnist().x_test
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        bar.progress(done / total, text=f"Replaying epoch {done} of {total} on the {split} images...")

    probabilities = inspection.epoch_probabilities(run, split, images, progress)
    if bar is not None:
        bar.empty()
    return probabilities if shown is None else probabilities[:, shown]


@st.cache_resource(show_spinner="Computing the activations...", max_entries=4)
def map_features(split: str, sample: int, seed: int, run_id: str | None, layer: str | None,
                 shown: str = "") -> np.ndarray:
    """The vectors that the map lays out and finds neighbours among: pixels, or a layer's activations.

    A resource, not data: 10,000 x 784 floats are 31 MB, which cache_data would copy on every rerun.
    `shown` (cached_data.shown_test_set()) keys which test digits the pages show.
    """
    images = images_and_labels(split)[0][map_points(split, sample, seed)]
    features = (embedding.pixel_features(images) if run_id is None
                else embedding.layer_features(run_model(run_id), layer, images))
    features.setflags(write=False)  # shared by every session
    return features


@per_shown_test_set(show_spinner="Reading the images with the network...", max_entries=8)
def map_probabilities(run_id: str, split: str, sample: int, seed: int) -> np.ndarray:
    """A run's probabilities on the map's points (the test split's come from the run's own cache)."""
    points = map_points(split, sample, seed)
    if split == "test":
        return run_probabilities(run_id, "test")[points]
    return predict_probabilities(run_model(run_id), images_and_labels(split)[0][points])


@per_shown_test_set(show_spinner="Ranking the labels with cleanlab...", max_entries=16)
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


@st.cache_data(show_spinner="Computing the map...", max_entries=64)
def saliency_maps(run_id: str, epoch: int | None, image: np.ndarray, target: int, method: str,
                  baseline_kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(map of the trained network, map of the same network re-initialised), for "why this answer"."""
    baseline = saliency.baseline_image(baseline_kind, image, pixel_statistics()[0])
    trained = saliency.saliency_map(model_at(run_id, epoch), image, target, method, baseline)
    random = saliency.saliency_map(reinitialised_model(run_id, epoch), image, target, method, baseline)
    return trained, random


def _test_sample(run_id: str, sample: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `sample` test digits the pages show, and their labels."""
    images, labels = run_split(run_id, "test")
    return images[:sample], labels[:sample]


@per_shown_test_set(show_spinner="Distorting the digits and reading them...", max_entries=64)
def distortion_curve(run_id: str, kind: str, sample: int) -> list[tuple[float, float]]:
    """A run's accuracy at each strength of a distortion, on the first `sample` test digits."""
    model = run_model(run_id)
    return robustness.strength_curve(lambda batch: predict_probabilities(model, batch),
                                     *_test_sample(run_id, sample), kind)


@per_shown_test_set(show_spinner="Making adversarial digits...", max_entries=32)
def attack_curve(run_id: str, steps: int, sample: int) -> list[tuple[float, float]]:
    """A run's accuracy under FGSM (1 step) or PGD at each epsilon, on the first `sample` test digits."""
    model = run_model(run_id)
    return robustness.attack_curve(model, lambda batch: predict_probabilities(model, batch),
                                   *_test_sample(run_id, sample), steps)


@per_shown_test_set(show_spinner="Searching the smallest change that fools it...", max_entries=64)
def smallest_flip(run_id: str, index: int) -> robustness.Flip | None:
    model = run_model(run_id)
    images, labels = _test_sample(run_id, index + 1)
    return robustness.smallest_flip(model, lambda batch: predict_probabilities(model, batch), images[index],
                                    int(labels[index]))


@st.cache_resource(show_spinner=False, max_entries=2)
def mnist_c_folder(_test_images: np.ndarray, source: str):
    """Where MNIST-C of this test set is kept (named by a hash of its images: computed once)."""
    return mnist_c.folder_for(_test_images)


@st.cache_resource(show_spinner=False, max_entries=len(corruptions.CORRUPTIONS))
def _corrupted_whole(folder, name: str) -> np.ndarray | None:
    """One corruption's 10,000 images, memory-mapped and checked once; None until they are made."""
    return mnist_c.load(folder, name)


def corrupted(name: str) -> np.ndarray | None:
    """One corruption of the test digits the pages show (the public half while a challenge hides the
    other), or None until MNIST-C is made."""
    whole = whole_mnist()
    folder = mnist_c_folder(whole.x_test, whole.source)
    images = _corrupted_whole(folder, name)
    if images is None:
        _corrupted_whole.clear()  # asked again once made, not served None for ever
        return None
    indices = classroom.test_report().indices
    return images if indices is None else images[indices]


@per_shown_test_set(show_spinner="Reading the corrupted digits...", max_entries=256)
def corruption_answers(run_id: str, name: str) -> np.ndarray:
    """A run's digit for each corrupted test digit (10,000 model calls in batches): per run and
    corruption, once."""
    return predict_probabilities(run_model(run_id), corrupted(name)).argmax(axis=1).astype(np.uint8)
