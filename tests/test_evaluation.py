import numpy as np
import pytest
from sklearn.metrics import classification_report, confusion_matrix

from core import evaluation

# A hand-checked case: 3 digits used (0, 1, 2), 10 images.
Y_TRUE = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 0])


def test_confusion_matrix_by_hand():
    counts = evaluation.confusion(Y_TRUE, Y_PRED)
    assert counts.shape == (10, 10) and counts.sum() == 10
    assert counts[0, 0] == 3 and counts[0, 1] == 1 and counts[1, 1] == 2 and counts[1, 2] == 1
    assert counts[2, 2] == 2 and counts[2, 0] == 1


def test_per_class_metrics_by_hand():
    table = evaluation.per_class_metrics(Y_TRUE, Y_PRED).set_index("digit")
    zero = table.loc[0]
    # digit 0: predicted 0 four times (3 right, one true 2): TP 3, FP 1, FN 1, TN 5
    assert (zero.TP, zero.FP, zero.FN, zero.TN) == (3, 1, 1, 5)
    assert zero.precision == pytest.approx(0.75) and zero["recall (sensitivity)"] == pytest.approx(0.75)
    assert zero.specificity == pytest.approx(5 / 6) and zero.accuracy == pytest.approx(0.8)
    assert zero.misclassification == pytest.approx(0.2) and zero.f1 == pytest.approx(0.75)
    one = table.loc[1]  # TP 2, FP 1 (a true 0), FN 1 (read as 2), TN 6
    assert (one.TP, one.FP, one.FN, one.TN) == (2, 1, 1, 6)
    assert one.precision == pytest.approx(2 / 3) and one.specificity == pytest.approx(6 / 7)
    assert list(table.index) == [0, 1, 2]  # digits absent from the split are left out
    assert evaluation.absent_digits(Y_TRUE) == [3, 4, 5, 6, 7, 8, 9]


def test_a_one_image_split_read_right_is_perfect_not_a_tenth():
    truth, prediction = np.array([4]), np.array([4])
    overall = evaluation.overall_metrics(truth, prediction)
    assert overall["accuracy"] == 1 and overall["macro f1"] == 1 and overall["weighted f1"] == 1
    table = evaluation.per_class_metrics(truth, prediction)
    assert table["digit"].tolist() == [4] and table["f1"].tolist() == [1.0]


def test_metrics_agree_with_sklearn_on_random_predictions():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, 2000)
    y_pred = np.where(rng.random(2000) < 0.8, y_true, rng.integers(0, 10, 2000))
    table = evaluation.per_class_metrics(y_true, y_pred)
    report = classification_report(y_true, y_pred, output_dict=True)
    matrix = confusion_matrix(y_true, y_pred)
    for digit in range(10):
        row = table.loc[digit]
        assert row.precision == pytest.approx(report[str(digit)]["precision"])
        assert row["recall (sensitivity)"] == pytest.approx(report[str(digit)]["recall"])
        assert row.f1 == pytest.approx(report[str(digit)]["f1-score"])
        assert matrix[digit, digit] == row.TP
        assert matrix[:, digit].sum() - matrix[digit, digit] == row.FP
        assert matrix[digit].sum() - matrix[digit, digit] == row.FN
        assert row.TP + row.FP + row.FN + row.TN == 2000
    overall = evaluation.overall_metrics(y_true, y_pred)
    assert overall["accuracy"] == pytest.approx(report["accuracy"])
    assert overall["macro f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert overall["weighted precision"] == pytest.approx(report["weighted avg"]["precision"])


def random_probabilities(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probabilities = rng.dirichlet(np.ones(10) * 0.3, size=n)
    return rng.integers(0, 10, n), probabilities


def test_every_image_of_a_cell_and_nothing_else():
    y_true, probabilities = random_probabilities(3000)
    y_pred = probabilities.argmax(axis=1)
    counts = evaluation.confusion(y_true, y_pred)
    seen = []
    for true in range(10):
        for predicted in range(10):
            cell = evaluation.cell_indices(y_true, probabilities, true, predicted)
            assert len(cell) == counts[true, predicted]
            assert set(cell) == {i for i in range(3000) if y_true[i] == true and y_pred[i] == predicted}
            confidence = probabilities[cell, predicted]
            if true == predicted:
                assert np.all(np.diff(confidence) >= 0)  # least confident first
            else:
                assert np.all(np.diff(confidence) <= 0)  # most confident mistake first
            seen += cell.tolist()
    assert sorted(seen) == list(range(3000))  # the cells partition the split


def test_confident_mistakes_and_disagreements():
    y_true, probabilities = random_probabilities(500, seed=3)
    mistakes = evaluation.confident_mistakes(y_true, probabilities, 10)
    y_pred = probabilities.argmax(axis=1)
    assert len(mistakes) == 10 and np.all(y_pred[mistakes] != y_true[mistakes])
    confidence = probabilities[mistakes, y_pred[mistakes]]
    assert np.all(np.diff(confidence) <= 0)
    wrong = y_pred != y_true
    assert confidence[-1] >= probabilities[wrong, y_pred[wrong]][
        ~np.isin(np.flatnonzero(wrong), mistakes)].max()
    truth = np.array([1, 2, 0, 0])
    only_a, only_b = evaluation.disagreements(truth, np.array([1, 2, 3, 4]), np.array([1, 0, 3, 0]))
    assert only_a.tolist() == [1] and only_b.tolist() == [3]


def test_split_for_run_matches_the_training_split(tiny_mnist):
    from tests.conftest import tiny_config

    config = tiny_config(train_images=100)
    config.hyper.validation_fraction = 0.2
    images, labels = evaluation.split_for_run(tiny_mnist, config, "validation")
    assert len(images) == 20
    from core.preprocessing import validation_split
    _, validation = validation_split(100, 0.2, config.hyper.seed)
    np.testing.assert_array_equal(images, tiny_mnist.x_train[validation])
    assert evaluation.split_for_run(tiny_mnist, config, "test")[0] is tiny_mnist.x_test


def test_cross_validation_folds_cover_every_image_once(tiny_mnist):
    from core import preprocessing
    from tests.conftest import tiny_config

    held_out = []
    for fold in range(4):
        config = tiny_config(train_images=100)
        config.hyper.folds, config.hyper.fold = 4, fold
        assert not config.problems() and config.training_set_size() == 75
        train, validation = preprocessing.split_indices(100, 0.1, config.hyper.seed, 4, fold)
        assert not set(train) & set(validation) and len(train) + len(validation) == 100
        images, _ = evaluation.split_for_run(tiny_mnist, config, "validation")
        np.testing.assert_array_equal(images, tiny_mnist.x_train[validation])
        held_out += validation.tolist()
    assert sorted(held_out) == list(range(100))
    config = tiny_config()
    config.hyper.folds, config.hyper.fold = 1, 0
    assert "folds must be 0" in " ".join(config.problems())
