"""Code exercises, recorded predictions, claims and shown source: the tools every lesson uses."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.claims import Claim, ClaimFailed, check_all, summarize
from course_utils.exercises import Prediction, function_exercise, multiple_choice, numeric
from course_utils.source import show_source


def ema(values, beta=0.9):
    """Bias-corrected exponential moving average (the reference)."""
    out, average = [], 0.0
    for step, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        out.append(average / (1 - beta ** step))
    return np.array(out)


def ema_without_correction(values, beta=0.9):
    out, average = [], 0.0
    for value in values:
        average = beta * average + (1 - beta) * value
        out.append(average)
    return np.array(out)


def cases():
    rng = np.random.default_rng(0)
    return [(rng.normal(size=5),), (np.ones(3), 0.5), (np.array([2.0]),)]


EXERCISE = function_exercise("Write a bias-corrected moving average.", ema, cases,
                             mistakes=[(ema_without_correction, "Divide by 1 - beta**t: the average starts at 0.")],
                             explanation="Right.")


def test_function_exercise_accepts_the_reference_and_an_equivalent():
    assert EXERCISE.check(ema)
    assert EXERCISE.check(lambda values, beta=0.9: torch.tensor(ema(values, beta)))  # tensors are fine


def test_function_exercise_names_a_known_mistake():
    feedback = EXERCISE.check(ema_without_correction)
    assert not feedback and "1 - beta**t" in feedback.message


def test_function_exercise_reports_shape_errors_and_crashes_without_the_answer():
    shape = EXERCISE.check(lambda values, beta=0.9: ema(values, beta)[:-1])
    assert not shape and "shape" in shape.message
    crash = EXERCISE.check(lambda values: values)
    assert not crash and "TypeError" in crash.message
    wrong = EXERCISE.check(lambda values, beta=0.9: ema(values, beta) * 2)
    assert not wrong and "differ" in wrong.message
    unfinished = EXERCISE.check(lambda values, beta=0.9: None)
    assert not unfinished and "returned nothing yet" in unfinished.message
    assert not EXERCISE.check("ema") and "function" in EXERCISE.check("ema").message
    assert "Not yet" in str(EXERCISE.check(...))


def test_every_exercise_kind_has_a_solution_for_instructors():
    assert "def ema" in repr(EXERCISE.show_solution())
    choice = multiple_choice("q", {"a": "one", "b": "two"}, correct="b", hints={"a": "no"}, explanation="two it is")
    assert "**b**: two" in repr(choice.show_solution())
    number = numeric("q", 10.0, hint_low="up", hint_high="down", explanation="ten")
    assert "10" in repr(number.show_solution())


def test_prediction_compares_with_the_run():
    assert "too low" in repr(Prediction("ratio", unit="x").record(10).compare(30.0))
    assert "close" in repr(Prediction("ratio").record(28).compare(30.0))
    assert "no prediction" in repr(Prediction("ratio").record(...).compare(30.0))
    assert "right" in repr(Prediction("axis").record("Updates").compare("updates"))


def test_claim_check_explains_a_failure():
    holds = Claim("a", "A is below B.", "A < B", "A=1, B=2", margin=1.0)
    assert holds.check() is holds and holds.holds
    fails = Claim("a", "A is below B.", "A < B", "A=3, B=2", margin=-1.0)
    with pytest.raises(ClaimFailed, match="Expected: A < B\nMeasured: A=3, B=2\nWhat to do"):
        fails.check()
    assert not Claim("n", "s", "e", "m", margin=float("nan")).holds
    with pytest.raises(AssertionError):
        check_all([holds, fails])


def test_summarize_reports_pass_rate_and_smallest_margin():
    import pandas as pd

    runs = pd.DataFrame({"lesson": "07", "claim": "c", "kind": "claim", "profile": "smoke",
                         "seed": [1, 2, 3, 4], "margin": [0.5, 0.1, -0.2, 0.3], "holds": [True, True, False, True]})
    row = summarize(runs).iloc[0]
    assert row["pass_rate"] == 0.75 and row["smallest_margin"] == -0.2 and row["seeds"] == 4


def test_the_claims_table_gathers_every_summary_and_counts_failures(tmp_path):
    import pandas as pd

    from course_utils.claims import write_table

    pd.DataFrame({"lesson": ["03", "03"], "claim": ["a", "b"], "kind": ["claim", "check"], "profile": "smoke",
                  "seeds": 20, "pass_rate": [1.0, 0.95], "smallest_margin": [0.25, -0.01]}
                 ).to_csv(tmp_path / "lesson03_smoke.csv", index=False)
    pd.DataFrame({"lesson": ["03"], "claim": ["a"], "seed": [1]}).to_csv(tmp_path / "lesson03_smoke_runs.csv")
    text = write_table(tmp_path).read_text()
    assert "| 03 | a | claim | smoke | 20 | 100% | 0.25 |" in text
    assert "| 03 | b | check | smoke | 20 | 95% | -0.01 |" in text
    assert "1 (claim, profile) pairs with a failing seed" in text and text.count("| 03 |") == 2


def test_show_source_is_the_running_code():
    shown = show_source(ema)
    assert repr(shown).startswith("def ema(values, beta=0.9):")
    assert "test_feedback_tools.ema" in shown._repr_markdown_()
    with pytest.raises(ValueError):
        show_source()
