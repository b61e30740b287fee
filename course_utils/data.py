"""Data: Fashion-MNIST as normalized tensors on the device, plus small synthetic sets.

Fashion-MNIST comes through the real ``torchvision.datasets.FashionMNIST`` class and is
downloaded into the repository's ``data/`` folder on first use. ``COURSE_DATA_DIR``
points elsewhere (a folder that contains ``FashionMNIST/raw/``). The whole set is small
(60,000 + 10,000 images of 28x28 pixels), so it is held in memory as one tensor and
mini-batches are slices of it: no DataLoader, no per-image Python work.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import get_device
from .validation import check_fraction, check_int, check_non_negative

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# Published training-set statistics of Fashion-MNIST (pixel values scaled to [0, 1]).
PIXEL_MEAN, PIXEL_STD = 0.2860, 0.3528
N_TRAIN_FULL, N_TEST_FULL = 60_000, 10_000
RAW_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)
# IDX format: a 4-byte magic number (2051 images, 2049 labels), the item count, then the data.
# Exact sizes and headers, not checksums: the images exist in more than one valid byte order
# (the offline copy's images are re-ordered within each class), so an md5 would reject a good file.
RAW_LAYOUT = {  # name -> (magic, items, bytes)
    "train-images-idx3-ubyte": (2051, N_TRAIN_FULL, 16 + N_TRAIN_FULL * 28 * 28),
    "train-labels-idx1-ubyte": (2049, N_TRAIN_FULL, 8 + N_TRAIN_FULL),
    "t10k-images-idx3-ubyte": (2051, N_TEST_FULL, 16 + N_TEST_FULL * 28 * 28),
    "t10k-labels-idx1-ubyte": (2049, N_TEST_FULL, 8 + N_TEST_FULL),
}


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is neither on disk nor downloadable; the message says how to fix it."""


class DataDamagedError(DataNotFoundError):
    """A Fashion-MNIST file is on disk but truncated or not an IDX file; the message names it."""


def damaged_files(root: Path) -> list[str]:
    """One line per raw file that exists but has the wrong size or header (empty: all good)."""
    raw = Path(root) / "FashionMNIST" / "raw"
    problems = []
    for name, (magic, items, size) in RAW_LAYOUT.items():
        path = raw / name
        if not path.exists():
            continue
        actual = path.stat().st_size
        if actual != size:
            problems.append(f"{path}: {actual:,} bytes, expected {size:,}")
            continue
        with path.open("rb") as file:
            header = file.read(8)
        found = (int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big"))
        if found != (magic, items):
            problems.append(f"{path}: header says magic {found[0]} with {found[1]:,} items, "
                            f"expected magic {magic} with {items:,}")
    return problems


@dataclass
class Split:
    """Inputs ``x`` and targets ``y`` of one part of a data set, as tensors."""

    x: torch.Tensor
    y: torch.Tensor

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device) -> Split:
        return Split(self.x.to(device), self.y.to(device))

    def subset(self, n: int, seed: int = 0) -> Split:
        """A random subset of ``n`` examples (reproducible from ``seed``)."""
        check_int("n", n, 1, len(self), "the size of this split")
        idx = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        idx = idx.to(self.y.device)
        return Split(self.x[idx], self.y[idx])


@dataclass
class Data:
    """Train, validation and test splits of one data set."""

    train: Split
    val: Split | None
    test: Split
    class_names: tuple[str, ...] = CLASS_NAMES


def data_dir() -> Path:
    """Where Fashion-MNIST lives: ``COURSE_DATA_DIR`` or the repository's ``data/``."""
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


def _missing_files(root: Path) -> list[str]:
    raw = root / "FashionMNIST" / "raw"
    return [name for name in RAW_FILES if not (raw / name).exists()]


@functools.lru_cache(maxsize=2)
def _load_raw(train: bool, root: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The uint8 images and int64 labels of one half, read once per process."""
    from torchvision.datasets import FashionMNIST

    root_path = Path(root)
    damaged = damaged_files(root_path)
    if damaged:  # never deleted for the learner: the file may be a copy they made by hand
        raise DataDamagedError(
            "Fashion-MNIST is on disk but damaged (an interrupted download or copy):\n  "
            + "\n  ".join(damaged)
            + "\nFix: delete the file(s) named above and run again (torchvision downloads them anew), "
            "or copy good ones over them."
        )
    missing = _missing_files(root_path)
    try:
        dataset = FashionMNIST(root=root, train=train, download=bool(missing))
    except Exception as error:  # offline, proxy, disk full: all end the same way for a learner
        what = f"missing: {', '.join(missing)}" if missing else f"present but unreadable: {error}"
        raise DataNotFoundError(
            f"Fashion-MNIST is not usable in {root_path / 'FashionMNIST' / 'raw'} "
            f"({what}) and could not be downloaded ({type(error).__name__}).\n"
            "Fix: connect to the internet and run again (torchvision downloads about 30 MB), or copy "
            "the four files (train-images-idx3-ubyte, train-labels-idx1-ubyte, "
            "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) into that folder, or set "
            "COURSE_DATA_DIR to a folder that contains FashionMNIST/raw/ with them."
        ) from None
    return dataset.data, dataset.targets


@functools.lru_cache(maxsize=4)
def _normalized(train: bool, root: str, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _load_raw(train, root)
    x = (images.to(device=device, dtype=torch.float32) / 255.0 - PIXEL_MEAN) / PIXEL_STD
    return x.unsqueeze(1), labels.to(device)


def check_split_sizes(n_train: int | None, n_val: int = 0, n_test: int | None = None) -> tuple[int, int, int]:
    """The split sizes `fashion_mnist` accepts, with ``None`` resolved; a clear error otherwise.

    Training and validation images are disjoint draws from the 60,000 training images, so
    ``n_train + n_val <= 60,000``; test images come from the 10,000 test images.
    """
    check_int("n_val", n_val, 0, N_TRAIN_FULL - 1, "the training images not used for training")
    if n_train is None:
        n_train = N_TRAIN_FULL - n_val
    check_int("n_train", n_train, 1, N_TRAIN_FULL - n_val, "60,000 training images minus n_val")
    n_test = N_TEST_FULL if n_test is None else check_int("n_test", n_test, 1, N_TEST_FULL)
    return n_train, n_val, n_test


def fashion_mnist(
    n_train: int | None = None,
    n_val: int = 0,
    n_test: int | None = None,
    *,
    label_noise: float = 0.0,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> Data:
    """Fashion-MNIST as normalized ``(N, 1, 28, 28)`` float tensors on ``device``.

    ``n_train`` and ``n_val`` are disjoint random draws from the 60,000 training images
    (``None``: all that the validation split leaves); ``n_test`` is drawn from the 10,000
    test images (``None``: all). ``label_noise`` replaces that fraction of the *training*
    labels by a different, random class; validation and test labels stay clean.
    """
    device = str(device or get_device())
    n_train, n_val, n_test = check_split_sizes(n_train, n_val, n_test)
    check_fraction("label_noise", label_noise)

    root = str(data_dir())
    x_all, y_all = _normalized(True, root, device)
    x_test, y_test = _normalized(False, root, device)
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(N_TRAIN_FULL, generator=generator).to(device)
    train_idx, val_idx = order[:n_train], order[n_train:n_train + n_val]
    train = Split(x_all[train_idx], y_all[train_idx])
    if label_noise > 0:
        train = Split(train.x, corrupt_labels(train.y, label_noise, seed=seed))
    val = Split(x_all[val_idx], y_all[val_idx]) if n_val else None
    test_idx = torch.randperm(N_TEST_FULL, generator=generator)[:n_test].to(device)
    return Data(train=train, val=val, test=Split(x_test[test_idx], y_test[test_idx]))


def corrupt_labels(y: torch.Tensor, fraction: float, *, seed: int = 0, n_classes: int = 10) -> torch.Tensor:
    """A copy of ``y`` where ``fraction`` of the labels are replaced by a *different* class."""
    check_fraction("fraction", fraction)
    generator = torch.Generator().manual_seed(seed + 1)
    n_flip = round(fraction * len(y))
    flip = torch.randperm(len(y), generator=generator)[:n_flip].to(y.device)
    # Adding 1..n_classes-1 modulo n_classes always lands on another class.
    shift = torch.randint(1, n_classes, (n_flip,), generator=generator).to(y.device)
    noisy = y.clone()
    noisy[flip] = (y[flip] + shift) % n_classes
    return noisy


def shuffle_labels(y: torch.Tensor, *, seed: int = 0) -> torch.Tensor:
    """The same labels in a random order: any link between image and label is gone."""
    generator = torch.Generator().manual_seed(seed + 2)
    return y[torch.randperm(len(y), generator=generator).to(y.device)]


def sine_function(x: np.ndarray) -> np.ndarray:
    """The default true function of the 1-D regression problems: one period of a sine."""
    return np.sin(2 * np.pi * x)


def make_regression_1d(n: int, noise: float = 0.3, *, seed: int = 0,
                       function=sine_function) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points ``x ~ U(0, 1)``, ``y = function(x) + N(0, noise^2)``, as NumPy arrays."""
    check_int("n", n, 1)
    check_non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, n)
    return x, function(x) + noise * rng.standard_normal(n)


def make_classification_2d(n: int, noise: float = 0.2, *, seed: int = 0, device=None) -> Split:
    """Two interleaving half-moons in 2-D (``x``: float ``(n, 2)``, ``y``: 0 or 1)."""
    check_int("n", n, 2)
    check_non_negative("noise", noise)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    angle = rng.uniform(0, np.pi, n)
    x = np.where(
        y[:, None] == 0,
        np.stack([np.cos(angle), np.sin(angle)], 1),
        np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], 1),
    )
    x = x + noise * rng.standard_normal((n, 2))
    device = device or get_device()
    return Split(torch.tensor(x, dtype=torch.float32, device=device), torch.tensor(y, device=device))
