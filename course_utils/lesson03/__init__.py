"""Lesson 03: overfitting vs underfitting.

What is where:

- `experiments`: how every model is trained (``ADAM``, ``DEFAULT_LR``, ``DEFAULT_BATCH_SIZE``: the
  settings passed to the toolkit's `training.train_mlp`, which trains a fresh `mlp(width, depth)`
  with the course's `fit`), the capacity sweep over widths (`capacity_sweep`), choosing an under-, a
  well- and an over-fitting width from it (`pick_fits`), how far a validation loss rose
  (`loss_rise`), the slider's rule-of-thumb verdict (`diagnose`);
- `label_noise`: the label-noise experiment (`label_noise_experiment`), its two `fit`
  callbacks (`EarlyStoppingMonitor`, `NoisyFitTracker`) and the stopping rules it accepts
  (`highest_val_acc`, the default, and `lowest_val_loss`);
- `claims`: the lesson's claims, one function each returning a `Claim` (``claim_...``,
  ``check_restored_weights``), and `run`, which the seed harness calls;
- `figures`, `panels` (the "try it" panel, `explore_fit`), `exercises` (`EXERCISES`, with the
  coding exercise on patience).

The notebook checks each claim on the learner's run (``claims.claim_...(sweep).check()``);
`tests/test_capacity.py` checks them for three seeds, and ``python -m course_utils.claims
--lessons 03`` over many.
"""
from .exercises import EXERCISES
from .experiments import (
    ADAM,
    DEFAULT_BATCH_SIZE,
    DEFAULT_LR,
    SweepResult,
    capacity_sweep,
    diagnose,
    loss_rise,
    pick_fits,
)
from .figures import plot_capacity_sweep, plot_fits, plot_label_noise
from .label_noise import (
    EarlyStoppingMonitor,
    NoiseResult,
    NoisyFitTracker,
    StoppingRule,
    highest_val_acc,
    label_noise_experiment,
    lowest_val_loss,
    noisy_fashion_mnist,
)
from .panels import explore_fit, explore_fit_panel

__all__ = [
    "ADAM", "DEFAULT_BATCH_SIZE", "DEFAULT_LR", "EXERCISES", "EarlyStoppingMonitor", "NoiseResult", "NoisyFitTracker",
    "StoppingRule", "SweepResult", "capacity_sweep", "diagnose", "explore_fit", "explore_fit_panel",
    "highest_val_acc", "label_noise_experiment", "loss_rise", "lowest_val_loss", "noisy_fashion_mnist",
    "pick_fits", "plot_capacity_sweep", "plot_fits", "plot_label_noise",
]
