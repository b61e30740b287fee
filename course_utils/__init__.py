"""Helpers for the course on choosing neural-network hyperparameters.

Lessons import a handful of names from here; each module has one concern:
`config` (profiles, device, seeds), `data`, `models`, `training` (`fit`), `plots`,
`widgets` (slider panels) and `exercises` (auto-feedback).
"""
from .config import budget, environment_report, get_device, get_profile, seed_everything
from .data import CLASS_NAMES, Data, DataNotFoundError, Split, fashion_mnist
from .exercises import Exercise, Feedback, multiple_choice, numeric
from .models import count_parameters, mlp, small_cnn
from .training import OPTIMIZERS, History, evaluate, fit, make_optimizer, predict

__all__ = [
    "budget", "environment_report", "get_device", "get_profile", "seed_everything",
    "CLASS_NAMES", "Data", "DataNotFoundError", "Split", "fashion_mnist",
    "Exercise", "Feedback", "multiple_choice", "numeric",
    "count_parameters", "mlp", "small_cnn",
    "OPTIMIZERS", "History", "evaluate", "fit", "make_optimizer", "predict",
]
