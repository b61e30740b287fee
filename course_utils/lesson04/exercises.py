"""Lesson 04's exercises (`EXERCISES`): updates per epoch, noise against batch size, sampling
without replacement, why B = 1 is slow, and the coding exercise `cosine_similarity`."""
from __future__ import annotations

import math

import numpy as np
import torch

from ..exercises import Exercise, function_exercise, multiple_choice, numeric

EXERCISES: dict[str, Exercise] = {
    "updates_per_epoch": numeric(
        "The full Fashion-MNIST training set has 60,000 images. With mini-batches of 128, how many "
        "updates does one epoch make? (The last, smaller batch counts as an update.)",
        math.ceil(60_000 / 128), rel_tol=0, abs_tol=0.5,
        hint_low="One update per batch: how many batches of 128 does it take to cover 60,000 images?",
        hint_high="Each update uses 128 images, not one; and an epoch sees every image exactly once.",
        explanation="60,000 / 128 = 468.75, so 468 full batches plus one of 96 images: 469 updates. "
                    "Full-batch descent makes 1 update per epoch, SGD with B=1 makes 60,000.",
    ),
    "noise_vs_batch": numeric(
        "You multiply the batch size by 16 (say from 8 to 128, still far below N). By what factor does "
        "the *typical size* of the gradient error |g_B - G| (the square root of the variance) shrink?",
        4.0, rel_tol=0.01,
        hint_low="The variance falls as 1/B. By how much does it fall here, and what is the square root of that?",
        hint_high="That is the factor for the variance. The question asks for the typical size, its square root.",
        explanation="Variance falls 16-fold, so the typical error (its square root) only 4-fold: "
                    "16 times the compute per update for a gradient 4 times less noisy.",
    ),
    "without_replacement": multiple_choice(
        "The batches here are drawn *without replacement* from N training examples. What is the variance "
        "of the mini-batch gradient when B = N?",
        {"a": "tr(Sigma) / N, as the 1/B law predicts",
         "b": "zero: the batch is the whole training set, so its gradient is the full gradient",
         "c": "it depends on the random order of the examples"},
        correct="b",
        hints={"a": "The 1/B law assumes independent draws. Which examples does a batch of N drawn without "
                    "replacement contain?",
               "c": "Does the mean of the same N numbers depend on the order in which you add them?"},
        explanation="A batch of all N examples is the training set itself, whatever the order, so there is "
                    "no spread left. The factor (N - B)/(N - 1) captures this: 1 for B = 1, 0 for B = N. "
                    "For B much smaller than N it is close to 1 and the 1/B law holds.",
    ),
    "why_b1_slow": multiple_choice(
        "Your timing shows that an epoch with B = 1 takes far longer than with B = 256, although both "
        "compute the same number of per-example gradients. Why?",
        {"a": "With B = 1 the gradients are noisier, and noise takes longer to compute",
         "b": "Every update has a fixed cost (Python, launching each operation, the optimizer step) that "
              "B = 1 pays N times per epoch, while batched matrix products use the hardware in parallel",
         "c": "B = 1 uses a smaller learning rate"},
        correct="b",
        hints={"a": "Noise changes where the update goes, not how long it takes to compute.",
               "c": "Every run in the timing experiment uses the same learning rate; and the rate is one "
                    "multiplication per parameter whatever its value."},
        explanation="The arithmetic per epoch is about the same, but B = 1 pays the per-update overhead N "
                    "times and cannot use vectorised matrix products; a GPU widens the gap further.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def cosine_similarity(g: torch.Tensor, full: torch.Tensor) -> float:
    """The cosine of the angle between two gradient vectors: 1 = same direction, 0 = orthogonal, -1 = opposite."""
    return float(g @ full / (g.norm() * full.norm()))


def _cosine_cases() -> list[tuple[torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(int(np.random.default_rng().integers(2**31)))
    cases = [(torch.randn(d, generator=generator) * 3, torch.randn(d, generator=generator)) for d in (2, 10, 7850)]
    full = torch.randn(50, generator=generator)
    cases += [(5 * full, full), (-0.1 * full, full),                         # parallel, opposite
              (torch.tensor([1.0, 0.0]), torch.tensor([0.0, 2.0])),           # orthogonal
              (full + torch.randn(50, generator=generator), full)]
    return cases


EXERCISES["cosine"] = function_exercise(
    "Write `cosine_similarity(g, full)` for two gradient vectors (1-D tensors of the same length), as in "
    "section 3: the cosine of the angle between a batch gradient `g` and the full gradient `full`.",
    cosine_similarity, _cosine_cases,
    mistakes=[
        (lambda g, full: float(g @ full),
         ("You returned the dot product. It also grows with the lengths of the two vectors; divide by both "
          "lengths so that only the angle is left.")),
        (lambda g, full: float(g @ full / full.norm() ** 2),
         ("You divided by the full gradient's squared length only: that is the size of g's projection on it, "
          "not a cosine (it is not 1 for g = 5 x full).")),
        (lambda g, full: abs(float(g @ full / (g.norm() * full.norm()))),
         ("You dropped the sign. A batch gradient that points away from the full gradient (cosine below 0) "
          "would make the step go uphill: the sign matters.")),
    ],
    explanation="`g @ full / (g.norm() * full.norm())`: the dot product of the two unit vectors. "
                "`torch.nn.functional.cosine_similarity(g, full, dim=0)` computes the same.",
)
