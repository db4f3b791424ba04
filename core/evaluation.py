"""Where a network fails: confusion matrix, per-class metrics (scikit-learn's), and the images behind
every cell of the matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    multilabel_confusion_matrix,
    precision_recall_fscore_support,
)

from core import preprocessing
from core.architecture import TrainingConfig
from core.data import CLASSES, Mnist

SPLITS = ("validation", "test")


def split_for_run(data: Mnist, config: TrainingConfig, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels a run is evaluated on: its own validation split, or the test set."""
    if split == "test":
        return data.x_test, data.y_test
    if split != "validation":
        raise ValueError(f"unknown split {split!r}: use one of {SPLITS}")
    hyper = config.hyper
    *_, x_validation, y_validation = preprocessing.training_split(data.x_train, data.y_train, hyper)
    return x_validation, y_validation


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """10x10 counts: row = true digit, column = predicted digit."""
    return confusion_matrix(y_true, y_pred, labels=list(CLASSES))


def present_digits(y_true: np.ndarray) -> list[int]:
    """The digits that occur in the evaluated split: a digit with no image has no recall, and
    counting it as 0 would drag every average down (1 image read right: macro f1 0.1)."""
    return [digit for digit in CLASSES if np.any(y_true == digit)]


def absent_digits(y_true: np.ndarray) -> list[int]:
    return [digit for digit in CLASSES if digit not in present_digits(y_true)]


def per_class_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """One row per digit present in `y_true`: TP, FP, FN, TN and the rates derived from them,
    from scikit-learn."""
    digits = present_digits(y_true)
    counts = multilabel_confusion_matrix(y_true, y_pred, labels=digits)
    tn, fp, fn, tp = (counts[:, i, j] for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=digits, zero_division=0)
    total = tp + fp + fn + tn
    with np.errstate(invalid="ignore", divide="ignore"):
        specificity = np.where(tn + fp > 0, tn / (tn + fp), 0.0)
    return pd.DataFrame({
        "digit": digits, "TP": tp, "FP": fp, "FN": fn, "TN": tn,
        "accuracy": (tp + tn) / total, "misclassification": (fp + fn) / total,
        "precision": precision, "recall (sensitivity)": recall, "specificity": specificity,
        "f1": f1, "support": support,
    })


def overall_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and the macro and weighted averages of precision, recall and f1, over the digits
    present in `y_true`."""
    result = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "weighted"):
        precision, recall, f1, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=present_digits(y_true), average=average, zero_division=0)
        result |= {f"{average} precision": float(precision), f"{average} recall": float(recall),
                   f"{average} f1": float(f1)}
    return result


def cell_indices(y_true: np.ndarray, probabilities: np.ndarray, true: int, predicted: int) -> np.ndarray:
    """Every image of one confusion-matrix cell, and nothing else, in the most telling order.

    Mistakes come most confident first (by the probability of the wrong digit); correct ones least
    confident first (by the probability of the right digit), since the doubtful ones teach most.
    """
    y_pred = probabilities.argmax(axis=1)
    members = np.flatnonzero((y_true == true) & (y_pred == predicted))
    confidence = probabilities[members, predicted]
    order = np.argsort(confidence, kind="stable")
    return members[order] if true == predicted else members[order[::-1]]


def confident_mistakes(y_true: np.ndarray, probabilities: np.ndarray, count: int) -> np.ndarray:
    """The `count` wrong predictions made with the highest probability, most confident first."""
    y_pred = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    order = np.argsort(-probabilities[wrong, y_pred[wrong]], kind="stable")
    return wrong[order[:count]]


def disagreements(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(images A gets right and B wrong, images B gets right and A wrong)."""
    right_a, right_b = pred_a == y_true, pred_b == y_true
    return np.flatnonzero(right_a & ~right_b), np.flatnonzero(right_b & ~right_a)
