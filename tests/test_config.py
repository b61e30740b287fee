import random

import numpy as np
import pytest
import torch

from course_utils import config


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "laptop")
    assert config.get_profile().name == "laptop"
    monkeypatch.setenv("COURSE_PROFILE", " SMOKE ")
    assert config.get_profile().name == "smoke"


def test_default_profile_follows_the_device(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert config.get_profile().name == "laptop"
    monkeypatch.setattr(config, "get_device", lambda: torch.device("cuda"))
    assert config.get_profile().name == "gpu"


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "huge")
    with pytest.raises(ValueError, match="COURSE_PROFILE must be one of smoke, laptop, gpu .*'huge'"):
        config.get_profile()


def test_budget_picks_the_profile_column():
    smoke, laptop, gpu = (config.budget("00", name) for name in config.PROFILE_NAMES)
    assert (smoke.epochs, laptop.epochs, gpu.epochs) == config.BUDGETS["00"]["epochs"] == (3, 5, 10)
    assert smoke.profile == "smoke" and smoke.n_train < laptop.n_train <= gpu.n_train


def test_unknown_lesson_is_a_clear_error():
    with pytest.raises(ValueError, match="lesson must be one of"):
        config.budget("99")


def test_seed_everything_makes_all_generators_repeat():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    config.seed_everything(7)
    first = draw()
    config.seed_everything(7)
    assert draw() == first


def test_environment_report_names_versions_and_device():
    report = config.environment_report()
    assert report["torch"] == torch.__version__
    assert report["device"] in ("cpu", "cuda", "mps")
    assert report["profile"] in config.PROFILE_NAMES


def test_slider_threads_leave_a_core_free_and_can_be_set(monkeypatch):
    import os

    from course_utils.config import slider_threads

    monkeypatch.delenv("COURSE_SLIDER_THREADS", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert slider_threads() == max(1, min(cores - 1, 4))
    monkeypatch.setenv("COURSE_SLIDER_THREADS", "3")
    assert slider_threads() == 3
    monkeypatch.setenv("COURSE_SLIDER_THREADS", "0")
    with pytest.raises(ValueError, match="COURSE_SLIDER_THREADS must be a whole number >= 1"):
        slider_threads()


def test_cpu_threads_sets_and_restores_the_thread_count():
    import torch

    from course_utils.config import cpu_threads

    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be a whole number >= 1"):
        with cpu_threads(0):
            pass
