"""Lesson 00: welcome and tour.

What is where:

- `experiments`: the class counts, `one_epoch` (what `fit` does in each epoch, without its
  bookkeeping) and `per_class_accuracy`;
- `figures`: the bar charts of class counts and of per-class accuracy;
- `panels`: `show_class` (a plain function) and `show_class_panel`, its slider panel;
- `exercises`: `EXERCISES`, `worst_class_exercise` (checked against your model) and the
  coding exercise's reference, `updates_per_epoch`;
- `claims`: the tour's checks and its one claim, one function each, and `run(seed, profile)`
  for the seed harness.

The lesson's training run calls `course_utils.training.fit` directly.
"""
from .exercises import EXERCISES, updates_per_epoch, worst_class_exercise
from .experiments import class_counts, one_epoch, per_class_accuracy
from .figures import plot_class_counts, plot_per_class_accuracy
from .panels import show_class, show_class_panel

__all__ = [
    "EXERCISES", "class_counts", "one_epoch", "per_class_accuracy", "plot_class_counts", "plot_per_class_accuracy",
    "show_class", "show_class_panel", "updates_per_epoch", "worst_class_exercise",
]
