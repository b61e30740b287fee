"""Lesson 01: generalization, memorizing versus learning, measured on Fashion-MNIST.

What is where:

- `experiments`: `train_wide_mlp` (one wide MLP on a small subset, optionally with shuffled
  labels, `shuffle_some_labels`; the network is an argument, ``make_model``) and
  `size_sweep` (the same training on growing training sets); both return numbers
  (`GeneralizationRun`, a table);
- `claims`: the tolerances (`CHANCE_TOLERANCE`, `MIN_GAP_DROP`, ...), `epochs_to_reach`,
  `gap_trend`, one ``claim_*`` function per claim and `run(seed, profile)` for the seed harness;
- `figures` (plot_*), `panels` (`explore_generalization` and its slider panel),
  `exercises` (`EXERCISES`, `gap_reading_exercise`, the coding exercise's `accuracy`).

Labels are shuffled by the toolkit's `course_utils.data.shuffle_labels`.
"""
from .claims import (
    CHANCE_ACCURACY,
    CHANCE_TOLERANCE,
    MAX_GAP_TREND,
    MIN_GAP_DROP,
    MIN_GAP_SMALL_SET,
    MIN_TRAIN_ACC_SHUFFLED,
    MIN_TRAIN_ACC_TRUE,
    N_CLASSES,
    epochs_to_reach,
    gap_trend,
)
from .exercises import EXERCISES, accuracy, gap_reading_exercise
from .experiments import GeneralizationRun, ModelFactory, shuffle_some_labels, size_sweep, train_wide_mlp
from .figures import TEST_COLOUR, TRAIN_COLOUR, plot_size_sweep, plot_train_test, plot_true_vs_shuffled
from .panels import explore_generalization, explore_generalization_panel

__all__ = [
    "CHANCE_ACCURACY", "CHANCE_TOLERANCE", "EXERCISES", "MAX_GAP_TREND", "MIN_GAP_DROP", "MIN_GAP_SMALL_SET",
    "MIN_TRAIN_ACC_SHUFFLED", "MIN_TRAIN_ACC_TRUE", "N_CLASSES", "TEST_COLOUR", "TRAIN_COLOUR", "GeneralizationRun",
    "ModelFactory", "accuracy", "epochs_to_reach", "explore_generalization", "explore_generalization_panel",
    "gap_reading_exercise", "gap_trend", "plot_size_sweep", "plot_train_test", "plot_true_vs_shuffled",
    "shuffle_some_labels", "size_sweep", "train_wide_mlp",
]
