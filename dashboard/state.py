"""The glue between the pages and core: the shared dataset and cached analysis.

The dataset is loaded once per process and shared by every session (cache_resource); derived
analysis is cached per split (cache_data), keyed by the split's name rather than by the arrays,
so that a cache lookup never hashes 47 million pixels.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import streamlit as st

from core import analysis, data, evaluation, preprocessing, runs
from core.architecture import TrainingConfig, build_model, summary_rows
from core.training import TrainingQueue, predict_probabilities

SPLITS = ("train", "test")
MAX_TRAININGS_ENV = "MNIST_EXPLORER_MAX_TRAININGS"


@st.cache_resource(show_spinner="Loading MNIST...")
def mnist() -> data.Mnist:
    return data.load_mnist()


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


@st.cache_data(show_spinner=False)
def pixel_statistics() -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel mean and std of the whole training set, as used for standardisation."""
    return preprocessing.pixel_statistics(mnist().x_train)


@st.cache_resource(show_spinner=False)
def training_queue() -> TrainingQueue:
    """The one queue of trainings of this server, shared by every session and outliving them."""
    return TrainingQueue(mnist(), max_running=max_trainings())  # saves under runs.runs_dir()


def max_trainings() -> int:
    """How many trainings may run at once (MNIST_EXPLORER_MAX_TRAININGS, 1 by default)."""
    try:
        return max(1, int(os.environ.get(MAX_TRAININGS_ENV, "1")))
    except ValueError:
        return 1


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
