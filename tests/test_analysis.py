"""The vectorised analysis against plain, loop-by-loop reference computations on small arrays."""

import numpy as np
import pytest
from scipy.stats import chisquare

from core import analysis, preprocessing


def test_class_counts_and_distribution(tiny_mnist):
    counts = analysis.class_counts(tiny_mnist.y_train)
    assert counts.tolist() == [sum(1 for y in tiny_mnist.y_train if y == d) for d in range(10)]
    table = analysis.class_distribution(tiny_mnist.y_train, tiny_mnist.y_test)
    assert table["train %"].sum() == pytest.approx(100)
    assert table["test count"].tolist() == [int((tiny_mnist.y_test == d).sum()) for d in range(10)]


def test_gray_levels_and_ink(tiny_mnist):
    x = tiny_mnist.x_train
    expected = [sum(int(p) for p in image.ravel()) / 784 for image in x]
    np.testing.assert_allclose(analysis.mean_gray_levels(x), expected)
    expected_ink = [sum(1 for p in image.ravel() if p != 0) / 784 for image in x]
    np.testing.assert_allclose(analysis.ink_coverage(x), expected_ink)
    histogram = analysis.gray_level_histogram(analysis.mean_gray_levels(x))
    assert histogram.sum() == len(x)
    assert histogram[int(expected[0])] >= 1


def test_per_class_mean_and_comparison(tiny_mnist):
    values = np.arange(len(tiny_mnist.y_train), dtype=float)
    means = analysis.per_class_mean(values, tiny_mnist.y_train)
    for digit in range(10):
        members = [v for v, y in zip(values, tiny_mnist.y_train) if y == digit]
        assert means[digit] == pytest.approx(sum(members) / len(members))
    table = analysis.train_test_comparison(tiny_mnist)
    assert list(table.columns) == ["digit", "train %", "test %", "train mean gray",
                                   "test mean gray", "train ink %", "test ink %"]
    assert len(table) == 10


def test_distribution_test_matches_scipy_on_a_known_case():
    y_train = np.repeat(np.arange(10), 100)
    chi2, p_value = analysis.distribution_test(y_train, np.repeat(np.arange(10), 10))
    assert chi2 == pytest.approx(0) and p_value == pytest.approx(1)
    skewed = np.concatenate([np.zeros(50, int), np.repeat(np.arange(10), 5)])
    chi2, p_value = analysis.distribution_test(y_train, skewed)
    assert p_value < 1e-6 and chi2 > chisquare([1] * 10).statistic


def test_class_averages_and_distances(tiny_mnist):
    x, y = tiny_mnist.x_train, tiny_mnist.y_train
    means, stds = analysis.class_averages(x, y)
    for digit in range(10):
        members = [image.astype(float) for image, label in zip(x, y) if label == digit]
        np.testing.assert_allclose(means[digit], sum(members) / len(members))
        np.testing.assert_allclose(stds[digit], np.std(np.stack(members), axis=0))
    distances = analysis.distances_to_class_average(x, y, means)
    for i in (0, 17, 119):
        reference = np.sqrt(sum((float(a) - b) ** 2 for a, b in
                                zip(x[i].ravel(), means[y[i]].ravel())))
        assert distances[i] == pytest.approx(reference, rel=1e-5)


def test_nearest_and_farthest_are_the_extremes_of_their_digit():
    labels = np.array([0, 1, 0, 0, 1, 0])
    distances = np.array([5.0, 1.0, 2.0, 9.0, 3.0, 7.0])
    nearest, farthest = analysis.nearest_and_farthest(distances, labels, 0, 2)
    assert nearest.tolist() == [2, 0] and farthest.tolist() == [3, 5]
    nearest, farthest = analysis.nearest_and_farthest(distances, labels, 1, 5)
    assert nearest.tolist() == [1, 4] and farthest.tolist() == [4, 1]


def test_pixel_histogram_counts_every_pixel(tiny_mnist):
    counts = analysis.pixel_histogram(tiny_mnist.x_train)
    assert len(counts) == 256 and counts.sum() == tiny_mnist.x_train.size
    assert counts[17] == sum(1 for p in tiny_mnist.x_train.ravel() if p == 17)


def test_sample_indices(tiny_mnist):
    y = tiny_mnist.y_train
    assert analysis.sample_indices(y, "first", 9).tolist() == list(range(9))
    random = analysis.sample_indices(y, "random", 12, seed=3)
    assert len(set(random.tolist())) == 12
    assert np.array_equal(random, analysis.sample_indices(y, "random", 12, seed=3))
    assert not np.array_equal(random, analysis.sample_indices(y, "random", 12, seed=4))
    sevens = analysis.sample_indices(y, "digit", 50, seed=1, digit=7)
    assert len(sevens) == 12 and set(y[sevens]) == {7}  # only 12 sevens exist
    with pytest.raises(ValueError):
        analysis.sample_indices(y, "sideways", 3)


def test_montage_places_every_tile():
    tiles = np.arange(1, 8, dtype=np.uint8)[:, None, None] * np.ones((7, 3, 4), np.uint8)
    picture = analysis.montage(tiles, columns=3, gap=1)
    assert picture.shape == (3 * 4 + 1, 3 * 5 + 1)
    for i in range(7):
        row, column = divmod(i, 3)
        top, left = 1 + row * 4, 1 + column * 5
        assert (picture[top:top + 3, left:left + 4] == i + 1).all()
    assert picture[0].max() == 0 and picture[:, 0].max() == 0  # the gaps stay dark


def test_standardisation_statistics(tiny_mnist):
    x = tiny_mnist.x_train
    mean, std = preprocessing.pixel_statistics(x)
    assert mean[3, 4] == pytest.approx(sum(float(image[3, 4]) for image in x) / len(x))
    standardised = preprocessing.standardise(x, mean, std)
    np.testing.assert_allclose(standardised.mean(axis=0), 0, atol=1e-5)
    varied = std > preprocessing.STD_FLOOR  # the nearly constant pixels are not blown up
    np.testing.assert_allclose(standardised.std(axis=0)[varied], 1, atol=1e-4)
    assert std.min() >= preprocessing.STD_FLOOR
    blank = np.zeros((5, 28, 28), np.uint8)
    assert np.isfinite(preprocessing.standardise(blank, *preprocessing.pixel_statistics(blank))).all()


def test_validation_split_is_seeded_and_complete():
    train, validation = preprocessing.validation_split(100, 0.1, seed=5)
    assert len(validation) == 10 and len(train) == 90
    assert sorted(np.concatenate([train, validation]).tolist()) == list(range(100))
    again, _ = preprocessing.validation_split(100, 0.1, seed=5)
    assert np.array_equal(train, again)
    with pytest.raises(ValueError):
        preprocessing.validation_split(100, 1.0, seed=5)
