"""The nearest training images to a drawing: the fast index agrees with every distance computed."""

import numpy as np
import pytest

from core import nearest


def test_the_index_finds_exactly_the_nearest_images_of_a_small_set():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (500, 28, 28), dtype=np.uint8)
    images[10] = images[20]  # a tie: the lower index comes first
    index = nearest.PixelIndex(images, axes=16)
    for query in [images[20], rng.integers(0, 256, (28, 28), dtype=np.uint8), np.zeros((28, 28))]:
        expected = np.argsort(((images.reshape(500, -1) - np.ravel(query).astype(float)) ** 2).sum(1),
                              kind="stable")[:8]
        assert index.nearest(query, 8).tolist() == expected.tolist()
        assert nearest.nearest_images(query, images, 8).tolist() == expected.tolist()
    assert index.nearest(images[20], 8)[:2].tolist() == [10, 20]
    assert len(index.nearest(images[0], 1000)) == 500  # never more than there are


@pytest.mark.real_data
def test_the_index_agrees_with_brute_force_on_the_real_training_set(real_mnist):
    index = nearest.PixelIndex(real_mnist.x_train)
    queries = [*real_mnist.x_test[:40], np.full((28, 28), 255, np.uint8), real_mnist.x_train[5]]
    for query in queries:
        assert index.nearest(query, 8).tolist() == nearest.nearest_images(query, real_mnist.x_train,
                                                                          8).tolist()
    assert index.nearest(real_mnist.x_train[5], 1)[0] == 5  # an image is its own nearest
