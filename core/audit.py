"""An audit of suspicious labels: cleanlab ranks the images whose given label the network's
out-of-sample predictions doubt most. The dataset itself is never changed; a reviewer marks each
suspect and downloads the review.

Out-of-sample matters: a network has seen its own training images with their labels, so its
probabilities there agree with even a wrong label. On the test split any trained run is out of
sample; on the training split only k-fold cross-validation gives such probabilities: k runs, each
validated on one fold it never trained on (`cross_validation_configs`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import preprocessing, runs
from core.architecture import TrainingConfig

REVIEW_CHOICES = ("not reviewed", "label wrong", "fine", "unsure")


def _normalised(labels: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probabilities = np.asarray(probabilities, dtype=np.float64)
    return np.asarray(labels, dtype=int), probabilities / probabilities.sum(axis=1, keepdims=True)


def label_quality(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """cleanlab's label quality score of each image, in the images' order: 0 = surely wrong, 1 = surely
    right (float16 caches do not add up to exactly 1, hence the normalisation)."""
    from cleanlab.rank import get_label_quality_scores

    return get_label_quality_scores(*_normalised(labels, probabilities), method="normalized_margin")


def rank_label_issues(labels: np.ndarray, probabilities: np.ndarray) -> pd.DataFrame:
    """Every image ranked from most to least suspicious: given and suggested label, the label
    quality score and whether cleanlab flags it."""
    from cleanlab.filter import find_label_issues

    labels, probabilities = _normalised(labels, probabilities)
    quality = label_quality(labels, probabilities)
    # n_jobs=1: by default cleanlab forks a pool of processes, and a fork of the dashboard's server
    # (threads of TensorFlow, Streamlit and trainings, each maybe holding a lock) can deadlock the
    # child: the page then stayed grey for ever, two 1.1 GB processes behind it. One process takes
    # about a second for 60,000 images.
    flagged = find_label_issues(labels, probabilities, filter_by="prune_by_noise_rate", n_jobs=1)
    suggested = probabilities.argmax(axis=1)
    rows = np.arange(len(labels))
    table = pd.DataFrame({
        "index": rows, "given": labels, "suggested": suggested, "quality": quality,
        "flagged": flagged, "P(given)": probabilities[rows, labels],
        "P(suggested)": probabilities[rows, suggested],
    })
    return table.sort_values(["quality", "index"], kind="stable").reset_index(drop=True)


def averaged(probabilities: list[np.ndarray]) -> np.ndarray:
    """Several runs' probabilities on the same images, averaged: an ensemble, stronger than any one."""
    return np.mean([np.asarray(p, np.float64) for p in probabilities], axis=0)


def cross_validation_configs(base: TrainingConfig, folds: int = 5) -> list[TrainingConfig]:
    """The k trainings whose validation folds together cover base's training images once each."""
    configs = []
    for fold in range(folds):
        config = TrainingConfig.from_dict(base.to_dict())
        config.hyper.folds, config.hyper.fold, config.hyper.patience = folds, fold, 0
        configs.append(config.check())
    return configs


def cross_validated_probabilities(fold_runs: list[runs.Run], validation_probabilities: list[np.ndarray]
                                  ) -> tuple[np.ndarray, np.ndarray]:
    """(training image indices, their out-of-sample probabilities) from a finished set of
    cross-validation runs and each one's probabilities on its own validation fold.

    Raises ValueError unless the runs are the k folds of one cross-validation: then each image's
    probabilities come from the one run that never trained on it.
    """
    configs = [TrainingConfig.from_dict(run.record["config"]) for run in fold_runs]
    folds = {config.hyper.folds for config in configs}
    if len(folds) != 1 or (k := folds.pop()) < 2 or sorted(c.hyper.fold for c in configs) != list(range(k)):
        raise ValueError("these runs are not the complete folds of one cross-validation")
    first = configs[0].hyper
    if any((c.hyper.train_images, c.hyper.split_by()) != (first.train_images, first.split_by())
           for c in configs):
        raise ValueError("the folds were cut from different images (another seed or slice)")
    result = np.zeros((first.train_images, 10))
    for config, probabilities in zip(configs, validation_probabilities):
        _, held_out = preprocessing.split_indices(first.train_images, 0.1, first.split_by(), k,
                                                  config.hyper.fold)
        if len(held_out) != len(probabilities):
            raise ValueError("a fold's probabilities do not match its validation images")
        result[held_out] = probabilities
    return np.arange(first.train_images), result


def complete_cross_validations(candidates: list[runs.Run]) -> list[list[runs.Run]]:
    """Sets of runs that are all the folds of one cross-validation (same network, settings, images
    and seed), newest set first; each set in fold order."""
    groups: dict[str, dict[int, runs.Run]] = {}
    for run in candidates:
        config = TrainingConfig.from_dict(run.record["config"])
        if config.hyper.folds < 2:
            continue
        shared = config.to_dict()
        shared["hyper"] = {**shared["hyper"], "fold": None}
        groups.setdefault(repr(shared), {}).setdefault(config.hyper.fold, run)
    complete = []
    for folds in groups.values():
        k = TrainingConfig.from_dict(next(iter(folds.values())).record["config"]).hyper.folds
        if sorted(folds) == list(range(k)):
            complete.append([folds[number] for number in range(k)])
    return sorted(complete, key=lambda group: max(r.record.get("finished_at", 0) for r in group),
                  reverse=True)
