import numpy as np
import pytest

from core.data import Mnist


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
