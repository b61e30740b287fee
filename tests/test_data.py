import urllib.error

import pytest
import torch

from course_utils import data as data_module
from course_utils.data import (
    CLASS_NAMES,
    DataNotFoundError,
    Split,
    corrupt_labels,
    fashion_mnist,
    make_classification_2d,
    make_regression_1d,
    shuffle_labels,
)


def test_shapes_devices_and_disjoint_splits(small_data):
    assert small_data.train.x.shape == (2_000, 1, 28, 28) and small_data.train.x.dtype == torch.float32
    assert len(small_data.val) == 500 and len(small_data.test) == 1_000
    assert small_data.train.y.dtype == torch.int64 and set(small_data.train.y.tolist()) == set(range(10))
    train_images = {row.numpy().tobytes() for row in small_data.train.x.flatten(1)}
    val_images = {row.numpy().tobytes() for row in small_data.val.x.flatten(1)}
    assert not train_images & val_images
    assert len(CLASS_NAMES) == 10


def test_full_training_set_is_normalized():
    full = fashion_mnist(device="cpu")
    assert len(full.train) == 60_000 and len(full.test) == 10_000 and full.val is None
    assert abs(full.train.x.mean().item()) < 1e-3
    assert abs(full.train.x.std().item() - 1) < 1e-3


def test_same_seed_same_subset_other_seed_other_subset():
    a, b = fashion_mnist(100, seed=1, device="cpu"), fashion_mnist(100, seed=1, device="cpu")
    c = fashion_mnist(100, seed=2, device="cpu")
    assert torch.equal(a.train.x, b.train.x) and not torch.equal(a.train.x, c.train.x)


def test_label_noise_replaces_exactly_that_fraction_by_other_classes():
    clean = fashion_mnist(1_000, seed=3, device="cpu")
    noisy = fashion_mnist(1_000, seed=3, label_noise=0.3, device="cpu")
    assert torch.equal(clean.train.x, noisy.train.x)
    assert (clean.train.y != noisy.train.y).float().mean().item() == pytest.approx(0.3)
    assert torch.equal(clean.test.y, noisy.test.y)


def test_corrupt_and_shuffle_labels():
    y = torch.arange(10).repeat(50)
    assert (corrupt_labels(y, 1.0) != y).all()
    assert torch.equal(corrupt_labels(y, 0.0), y)
    shuffled = shuffle_labels(y, seed=0)
    assert torch.equal(torch.bincount(shuffled), torch.bincount(y)) and not torch.equal(shuffled, y)


@pytest.mark.parametrize("kwargs, message", [
    ({"n_train": 0}, r"n_train must be an integer in \[1, 60000\]"),
    ({"n_train": 60_000, "n_val": 1}, r"n_train must be an integer in \[1, 59999\]"),
    ({"n_test": 20_000}, r"n_test must be an integer in \[1, 10000\]"),
    ({"label_noise": 1.5}, r"label_noise must be a number in \[0, 1\]"),
])
def test_bad_sizes_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        fashion_mnist(device="cpu", **kwargs)


def test_missing_files_offline_give_one_clear_error(tmp_path, monkeypatch):
    from torchvision.datasets import FashionMNIST

    def offline(self):
        raise urllib.error.URLError("no network")

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(FashionMNIST, "download", offline)
    data_module._load_raw.cache_clear()
    data_module._normalized.cache_clear()
    with pytest.raises(DataNotFoundError) as error:
        fashion_mnist(10, device="cpu")
    message = str(error.value)
    assert str(tmp_path) in message and "train-images-idx3-ubyte" in message
    assert "COURSE_DATA_DIR" in message and "internet" in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_split_subset_and_bad_size(small_data):
    part = small_data.train.subset(10, seed=0)
    assert len(part) == 10 and isinstance(part, Split)
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 2000\]"):
        small_data.train.subset(5_000)


def test_synthetic_generators_are_seeded():
    x1, y1 = make_regression_1d(20, noise=0.1, seed=4)
    x2, y2 = make_regression_1d(20, noise=0.1, seed=4)
    assert (x1 == x2).all() and (y1 == y2).all() and ((0 <= x1) & (x1 <= 1)).all()
    moons = make_classification_2d(100, seed=0, device="cpu")
    assert moons.x.shape == (100, 2) and set(moons.y.tolist()) == {0, 1}
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_regression_1d(10, noise=-1)


def _copy_raw(tmp_path):
    """A copy of the real raw files in a fresh folder (the test may damage it)."""
    import shutil

    source = data_module.data_dir() / "FashionMNIST" / "raw"
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data_module.RAW_FILES:
        shutil.copy(source / name, raw / name)
    return raw


@pytest.mark.parametrize("damage", ["truncate", "header"])
def test_a_damaged_file_is_named_with_its_size_and_the_fix(tmp_path, monkeypatch, damage):
    assert data_module.damaged_files(data_module.data_dir()) == []  # the real files pass
    raw = _copy_raw(tmp_path)
    assert data_module.damaged_files(tmp_path) == []
    target = raw / "train-images-idx3-ubyte"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:1_000_000])
    else:
        target.write_bytes(b"\x00\x00\x08\x01" + target.read_bytes()[4:])  # a label file's magic
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    data_module._load_raw.cache_clear()
    data_module._normalized.cache_clear()
    try:
        with pytest.raises(data_module.DataDamagedError) as error:
            fashion_mnist(10, device="cpu")
    finally:
        data_module._load_raw.cache_clear()
        data_module._normalized.cache_clear()
    message = str(error.value)
    assert str(target) in message and "delete" in message and "copy good ones" in message
    if damage == "truncate":
        assert "1,000,000 bytes, expected 47,040,016" in message
    else:
        assert "magic 2049" in message and "expected magic 2051" in message
    assert target.exists(), "the damaged file must not be deleted for the learner"
