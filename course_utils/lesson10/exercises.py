"""Lesson 10's exercises, with feedback."""
from __future__ import annotations

import random

from ..exercises import function_exercise, multiple_choice, numeric


def halving_epochs(n_trials: int, min_epochs: int, reduction: int, max_epochs: int) -> int:
    """Epochs that successive halving spends: every trial trains ``min_epochs``; the best
    ``1/reduction`` of them go on to ``reduction`` times as many epochs, and so on, up to ``max_epochs``."""
    total, alive, epochs, done = 0, n_trials, min_epochs, 0
    while alive >= 1:
        total += alive * (epochs - done)  # a promoted trial continues: it does not start again
        if epochs >= max_epochs:
            break
        done, epochs, alive = epochs, min(epochs * reduction, max_epochs), alive // reduction
    return total


def _restarts(n_trials, min_epochs, reduction, max_epochs):
    total, alive, epochs = 0, n_trials, min_epochs
    while alive >= 1:
        total += alive * epochs
        if epochs >= max_epochs:
            break
        epochs, alive = min(epochs * reduction, max_epochs), alive // reduction
    return total


def _no_pruning(n_trials, min_epochs, reduction, max_epochs):
    return n_trials * max_epochs


def _cases():
    rng = random.Random()
    cases = [(27, 1, 3, 9), (9, 1, 3, 9), (1, 1, 3, 9), (8, 2, 2, 8), (10, 1, 3, 27)]
    cases += [(rng.randint(1, 60), rng.randint(1, 3), rng.choice([2, 3, 4]), rng.choice([8, 9, 16, 27]))
              for _ in range(5)]
    return cases


EXERCISES = {
    "vocabulary": multiple_choice(
        "You compare SGD with momentum 0.9 against Adam (the question of your study). Which role does the "
        "learning rate play in that study, in the words of Google's tuning playbook?",
        {"a": "scientific: it is what the study is about",
         "b": "nuisance: it must be tuned separately for each optimizer, or the comparison is unfair",
         "c": "fixed: keep one learning rate for both optimizers"},
        "b",
        {"a": "The study asks which optimizer is better; the learning rate is not the question, but it changes "
              "the answer. What must you do with it for the comparison to be fair?",
         "c": "Each optimizer has its own best learning rate (Adam's is about 100 times smaller than SGD's): one "
              "shared rate favours whichever optimizer it happens to suit."},
        "The learning rate is a nuisance hyperparameter here: each optimizer has its own best rate, so it is tuned "
        "for each one (fixing one rate for both compares one well-tuned optimizer with a badly tuned one). The "
        "optimizer is the scientific hyperparameter; the architecture, held the same, is fixed."),
    "distinct_values": numeric(
        "A 5 x 5 grid search spends 25 trials. How many different values of the one hyperparameter that matters "
        "does it try?", 5, rel_tol=0, abs_tol=0.5,
        hint_low="Count the distinct values along one axis of the grid.",
        hint_high="25 is the number of trials; many of them share the same value of the important hyperparameter.",
        explanation="5: every value of the important one is repeated for each of the 5 values of the other. 25 "
                    "random trials try 25 different values of each (Bergstra & Bengio 2012)."),
    "halving_budget": function_exercise(
        "Write `halving_epochs(n_trials, min_epochs, reduction, max_epochs)`: the epochs successive halving spends "
        "when all trials start with `min_epochs` epochs, the best `n // reduction` of them continue to "
        "`reduction` times as many epochs (without restarting: only the extra epochs cost), and so on until "
        "`max_epochs` or until fewer than one trial is left. Example: 27 trials, 1, 3, 9 epochs -> 27 + 9*2 + "
        "3*6 = 63 epochs, instead of 27 * 9 = 243 without pruning.",
        halving_epochs, _cases,
        mistakes=[(_restarts, "A promoted trial does not start again: it trains only the extra epochs "
                              "(from 1 to 3 epochs costs 2, not 3)."),
                  (_no_pruning, "That is the cost without pruning: every trial trained for max_epochs.")],
        explanation="Successive halving spends most of its epochs on the first, short rung; this is why it can try "
                    "many more configurations than no pruning for the same compute (Jamieson & Talwalkar 2016; "
                    "Li et al. 2018 for Hyperband, which runs several such brackets)."),
    "storage": multiple_choice(
        "Twenty students run workers on one study at the same time, each on their own laptop. Which storage?",
        {"a": "an SQLite file on a shared drive",
         "b": "Optuna's journal file on each laptop",
         "c": "one PostgreSQL server that every worker connects to"},
        "c",
        {"a": "SQLite locks the whole database file for each write: with twenty workers, many fail with "
              "'database is locked' (Optuna's FAQ advises against it for parallel search).",
         "b": "Each laptop would then hold its own study: twenty small searches, not one shared search."},
        "One PostgreSQL server: every worker reads and writes the same study over the network, with row locks. "
        "A journal file on each laptop makes twenty separate studies; SQLite on a shared drive locks the whole "
        "file for every write, and concurrent workers soon fail with 'database is locked'."),
}
