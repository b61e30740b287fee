"""Lesson 02's exercises, with feedback (`EXERCISES`), and the coding exercise's reference `variance_term`."""
from __future__ import annotations

import numpy as np

from ..exercises import function_exercise, multiple_choice, numeric
from .decomposition import NOISE

EXERCISES = {
    "parametric": multiple_choice(
        "Which of these models is **non-parametric**, in the sense that the number of "
        "quantities it stores grows with the size of the training set?",
        {"a": "a polynomial of degree 5 fitted by least squares",
         "b": "an MLP with two hidden layers of 256 units",
         "c": "a decision tree grown until every leaf is pure",
         "d": "logistic regression on 784 pixels"},
        correct="c",
        hints={"a": "Count its coefficients: does the count change if you add 1,000 training points?",
               "b": "The network can be very flexible, but its weight count is fixed before it sees any data.",
               "d": "One weight per pixel plus a bias, whatever the number of images."},
        explanation="A fully grown tree keeps splitting until its leaves are pure, so with more "
                    "(distinct, noisy) data it grows more leaves: its size is decided by the data, not "
                    "fixed in advance. The other three are parametric, flexible or not.",
    ),
    "linear_regression": multiple_choice(
        "The article files 'regression' under high-bias 'linear parametric' algorithms. "
        "Your degree-8 polynomial fit above is:",
        {"a": "not linear regression, because the fitted curve is not a straight line",
         "b": "linear regression (linear in its coefficients), and its variance is high",
         "c": "non-parametric, because the degree can be made as large as we like",
         "d": "high-bias, because linear models always underfit"},
        correct="b",
        hints={"a": "Look at how the prediction depends on the coefficients, not on x.",
               "c": "Once you choose the degree, how many numbers does the fit have, whatever n is?",
               "d": "Look at the decomposition plot at degree 8: which term dominates?"},
        explanation="The model is a weighted sum of fixed features (1, x, x², ...), so least squares "
                    "solves it like any linear regression; with 9 coefficients and 30 noisy points its "
                    "variance dominates. 'Linear' says how the parameters enter, not how flexible the model is.",
    ),
    "irreducible": numeric(
        "The labels carry Gaussian noise with σ = 0.3. What is the lowest expected squared "
        "test error that *any* predictor could reach on this problem?",
        NOISE**2, rel_tol=0.02,
        hint_low="Even the true function sin(2πx) makes errors on noisy targets: how large are they on average?",
        hint_high="The true function itself is a valid predictor: what is its expected squared error?",
        explanation="The noise term σ² = 0.09: even the true function misses each noisy target by the "
                    "noise, whose mean square is σ². No amount of data or tuning removes it.",
    ),
    "more_data": multiple_choice(
        "Take the degree-8 polynomial (n = 30). You triple the training set to n = 90. "
        "Which term of its expected error falls the most? (Predict, then check with the slider.)",
        {"a": "bias²", "b": "variance", "c": "noise", "d": "all three fall by the same factor"},
        correct="b",
        hints={"a": "Bias is about the average fit. Did the average degree-8 fit miss the sine by much at n = 30?",
               "c": "The noise lives in the targets; does the training-set size change it?",
               "d": "One of the three does not depend on the training set at all."},
        explanation="More data pins each fit down, so the fits spread less: variance falls "
                    "sharply (roughly like 1/n once n is well above the number of coefficients). "
                    "Bias² was already tiny and the noise does not change.",
    ),
}


# --------------------------------------------------------------------------- coding exercise

def variance_term(predictions: np.ndarray) -> float:
    """The variance term of the decomposition for ``predictions`` of shape (R fits, m test points)."""
    mean_prediction = predictions.mean(axis=0)
    return float(np.mean((predictions - mean_prediction) ** 2))


def _variance_cases() -> list[tuple[np.ndarray]]:
    rng = np.random.default_rng()
    cases = [(rng.normal(size=(r, m)) * rng.uniform(0.1, 3) + rng.normal(size=m) * 2,)
             for r, m in ((2, 1), (5, 8), (40, 50), (3, 200))]
    return cases + [(np.tile(rng.normal(size=6), (4, 1)),)]  # identical fits: no variance


EXERCISES["variance_term"] = function_exercise(
    "Write `variance_term(predictions)`: `predictions` is an array of shape (R, m), the predictions of R "
    "models, each fitted to its own training set, at m test inputs. Return the decomposition's variance "
    "term: how much the fits spread around their own average prediction, averaged over the test inputs.",
    variance_term, _variance_cases,
    mistakes=[
        (lambda predictions: float(np.mean(predictions.var(axis=0, ddof=1))),
         ("You divided by R - 1. The identity error = bias² + variance + noise, for these R fits, holds with "
          "the plain mean over the R fits: divide by R (NumPy's default, `ddof=0`).")),
        (lambda predictions: float(np.var(predictions)),
         ("You took the variance of all R x m numbers together, which also counts how the average prediction "
          "changes from one input to another. The variance term is the spread across the fits at each input, "
          "then averaged over the inputs.")),
        (lambda predictions: float(np.mean(predictions.std(axis=0))),
         ("You averaged standard deviations. The decomposition adds squared errors: use the variance (the mean "
          "squared distance from the average fit).")),
        (lambda predictions: float(np.mean(predictions.var(axis=1))),
         ("You measured the spread across the test inputs, for each fit. The variance term is the spread "
          "across the R fits (axis 0), at each test input.")),
    ],
    explanation="`predictions.var(axis=0).mean()`: at each test input, the mean squared distance of the R "
                "predictions from their average, then the mean over the inputs; exactly the line in `decompose`.",
)
