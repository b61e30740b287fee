"""Shared test set-up: the quick profile, a headless plotting backend, small data."""
import os

os.environ.setdefault("COURSE_PROFILE", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

from course_utils.data import fashion_mnist  # noqa: E402


@pytest.fixture(scope="session")
def small_data():
    """2,000 training, 500 validation and 1,000 test images of Fashion-MNIST."""
    return fashion_mnist(2_000, 500, 1_000, seed=0, device="cpu")
