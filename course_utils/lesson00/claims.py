"""Lesson 00's claims and checks, each a function of the run's results returning a `Claim`.

The tour makes one finding of its own (a linear model comes close to the two-hidden-layer
network on this budget); the rest are checks: the environment is recent enough, the drawn
subset is balanced, and the first run trains far above chance. `run(seed, profile)` repeats
the notebook's experiments at that profile's budget (the seed harness's entry point).
Bounds were calibrated on seeds 100-119 in the smoke and laptop profiles
(``claims/lesson00_smoke_laptop.csv``).
"""
from __future__ import annotations

import pandas as pd

from ..claims import Claim
from ..config import budget, seed_everything
from ..data import fashion_mnist
from ..models import mlp
from ..training import History, fit

MIN_PYTHON = (3, 10)
MIN_TORCH = (2, 2)
CLASS_SHARE = (0.07, 0.13)   # every class between 7% and 13% of the drawn subset
MIN_VAL_ACC = 0.60           # the first run, after a few epochs (chance: 10%)
LINEAR_SHARE = 0.85          # the linear model reaches at least 85% of the two-hidden-layer network's accuracy
LR, MOMENTUM = 0.05, 0.9     # the lesson's training run


def _version(text: str) -> tuple[int, int]:
    """(major, minor) of a version string such as ``"3.11.4"`` or ``"2.3.1+cpu"``."""
    major, minor = text.split("+")[0].split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def check_versions(python: str, torch: str) -> Claim:
    """Python >= 3.10 and PyTorch >= 2.2 (an environment check).

    The margin counts minor releases to spare on the tighter of the two, plus one (a version
    exactly at the minimum holds with margin 1; a new major release counts as 100 minor ones).
    """
    spare = [100 * (v[0] - m[0]) + v[1] - m[1] for v, m in ((_version(python), MIN_PYTHON),
                                                            (_version(torch), MIN_TORCH))]
    return Claim("versions", f"The course needs Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer and PyTorch "
                 f"{MIN_TORCH[0]}.{MIN_TORCH[1]} or newer.",
                 f"Python >= {MIN_PYTHON[0]}.{MIN_PYTHON[1]}, PyTorch >= {MIN_TORCH[0]}.{MIN_TORCH[1]}",
                 f"Python {python}, PyTorch {torch}", float(min(spare) + 1), kind="check")


def check_classes_balanced(labels) -> Claim:
    """Every class is between 7% and 13% of the drawn subset (Fashion-MNIST has 6,000 images per class).

    A check: drawing 2,000 of the 60,000 images (the smallest budget), the chance that some
    class lands outside [7%, 13%] is 6e-5 (hypergeometric tails, summed over the 10 classes).
    """
    share = pd.Series(labels).value_counts(normalize=True).reindex(range(10), fill_value=0.0)
    low, high = CLASS_SHARE
    margin = float(min(share.min() - low, high - share.max()))
    return Claim("classes_balanced", f"The classes are balanced: each is between {low:.0%} and {high:.0%} of the "
                 f"{len(labels):,} training images drawn.", f"every class's share in [{low:.0%}, {high:.0%}]",
                 f"smallest share {share.min():.1%}, largest {share.max():.1%}", margin, kind="check")


def check_far_above_chance(history: History) -> Claim:
    """A few epochs take the network far above chance: validation accuracy at least 60% (chance: 10%).

    A sanity check that the training loop works, not a finding. It used to say 70%, which
    was too close to call in the smoke profile: seeds 100-119 ended between 71.0% and 79.2%
    there (3 epochs on 2,000 images), and between 80.0% and 85.8% in laptop.
    """
    accuracy, epochs = history.final("val_acc"), len(history.epochs) - 1
    return Claim("far_above_chance", f"After {epochs} epoch{'s' * (epochs != 1)} the network is far above chance: at "
                 f"least {MIN_VAL_ACC:.0%} validation accuracy, against 10% for blind guessing.",
                 f"validation accuracy >= {MIN_VAL_ACC:.0%}", f"{accuracy:.1%}", accuracy - MIN_VAL_ACC,
                 kind="check")


def claim_linear_comes_close(linear: History, network: History) -> Claim:
    """On this budget the linear model reaches at least 85% of the two-hidden-layer network's validation accuracy.

    Restated from "within 5 points", which failed 11 of 20 seeds (100-119) in the laptop
    profile: there the linear model ended up to 8.5 points behind (ratio 0.90 at worst), while
    in smoke it was ahead on most seeds. The margin is the ratio minus 0.85.
    """
    lin, net = linear.final("val_acc"), network.final("val_acc")
    return Claim("linear_comes_close", "On a few thousand images and a few epochs, the linear model comes close: "
                 f"its validation accuracy is at least {LINEAR_SHARE:.0%} of the two-hidden-layer network's.",
                 f"linear / network >= {LINEAR_SHARE:.2f}",
                 f"linear {lin:.1%}, two hidden layers {net:.1%} (ratio {lin / net:.2f}, {100 * (lin - net):+.1f} "
                 "points)", lin / net - LINEAR_SHARE)


def run_experiments(cfg, seed: int = 0) -> dict:
    """The notebook's two training runs (no figures, no live plot) at the sizes of ``cfg`` (a `budget("00")`).

    Returns the training labels drawn, the two-hidden-layer network's `History` and the linear model's.
    """
    data = fashion_mnist(n_train=cfg.n_train, n_val=cfg.n_val, seed=seed)
    seed_everything(seed)
    model = mlp(width=cfg.width, depth=2)
    history = fit(model, data, epochs=cfg.epochs, lr=LR, momentum=MOMENTUM, seed=seed, progress=False)
    seed_everything(seed)
    linear = fit(mlp(depth=0), data, epochs=cfg.epochs, lr=LR, momentum=MOMENTUM, seed=seed, progress=False)
    return {"labels": data.train.y.cpu().numpy(), "history": history, "linear": linear}


def all_claims(results: dict) -> list[Claim]:
    """Every claim and check of the lesson on the results of `run_experiments` (and this environment)."""
    import platform

    import torch

    return [check_versions(platform.python_version(), torch.__version__),
            check_classes_balanced(results["labels"]), check_far_above_chance(results["history"]),
            claim_linear_comes_close(results["linear"], results["history"])]


def run(seed: int, profile: str) -> list[Claim]:
    """The lesson's claims and checks for one seed at one profile's budget (the seed harness calls this)."""
    return all_claims(run_experiments(budget("00", profile), seed))
