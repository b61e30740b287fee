"""Exercises with automatic feedback.

An `Exercise` holds a question and a checker. ``exercise.check(answer)`` returns a
`Feedback` that a notebook shows as a green "correct" with the explanation, or as a hint
that points the learner in the right direction without giving the answer away.

Three ready-made kinds cover most lessons: `multiple_choice` (one hint per wrong option),
`numeric` (a number within a tolerance; hints for too low and too high) and
`function_exercise` (the learner writes a short function, checked against the reference on
random and edge-case inputs, with a hint for each typical mistake). For anything else, pass
any checker ``answer -> (correct, message)`` to `Exercise`. Every exercise has a
``show_solution()`` for instructors; the feedback itself never gives the solution away.

`Prediction` records a "predict before you run" answer and compares it with the run.
"""
from __future__ import annotations

import inspect
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

NO_ANSWER_YET = "No answer yet: replace the `...` with your answer and run the cell again."


@dataclass(frozen=True, repr=False)
class Feedback:
    """The verdict on one answer; truthy when correct."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("Correct. " if self.correct else "Not yet. ") + self.message

    __repr__ = __str__  # plain-text front ends (nbconvert, a terminal) show the verdict, not the fields

    def _repr_markdown_(self) -> str:
        return ("✅ **Correct.** " if self.correct else "💡 **Not yet.** ") + self.message


@dataclass(frozen=True)
class Solution:
    """An exercise's answer, shown as Markdown in a notebook and as text elsewhere."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.text


@dataclass(frozen=True, repr=False)
class Exercise:
    """A question and a checker ``answer -> (correct, message)``."""

    question: str
    checker: Callable[[Any], tuple[bool, str]]
    solution: str = ""

    def check(self, answer: Any) -> Feedback:
        """Feedback on ``answer`` (``...`` or ``None`` means not answered yet)."""
        if answer is Ellipsis or answer is None:
            return Feedback(False, NO_ANSWER_YET)
        correct, message = self.checker(answer)
        return Feedback(bool(correct), message)

    def show_solution(self) -> Solution:
        """The answer, for instructors (learners: try `check` with hints first)."""
        return Solution(self.solution or "No written solution for this exercise.")

    def _repr_markdown_(self) -> str:
        return self.question

    def __repr__(self) -> str:
        return self.question


def multiple_choice(
    question: str,
    options: Mapping[str, str],
    correct: str,
    hints: Mapping[str, str],
    explanation: str,
) -> Exercise:
    """A question with lettered options; each wrong option has its own hint.

    ``options`` maps a letter to its text, ``hints`` maps each wrong letter to a hint.
    Answers are compared case-insensitively.
    """
    letters = {letter.lower() for letter in options}
    if correct.lower() not in letters or {h.lower() for h in hints} != letters - {correct.lower()}:
        raise ValueError("multiple_choice needs the correct letter among the options and a hint for every other one")
    listing = "\n".join(f"- **{letter}**: {text}" for letter, text in options.items())
    hints = {letter.lower(): hint for letter, hint in hints.items()}

    def checker(answer) -> tuple[bool, str]:
        key = str(answer).strip().lower()
        if key not in letters:
            return False, f"Answer with one of the letters {', '.join(sorted(options))} (got {answer!r})."
        if key == correct.lower():
            return True, explanation
        return False, hints[key]

    solution = f"**{correct}**: {options.get(correct, options.get(correct.lower(), ''))}. {explanation}"
    return Exercise(f"{question}\n\n{listing}", checker, solution)


def numeric(
    question: str,
    expected: float | Callable[[], float],
    *,
    rel_tol: float = 0.05,
    abs_tol: float = 0.0,
    hint_low: str,
    hint_high: str,
    explanation: str,
) -> Exercise:
    """A number within ``rel_tol`` (relative) or ``abs_tol`` (absolute) of ``expected``.

    ``expected`` may be a function, evaluated at check time, so that an exercise can ask
    for a quantity from the learner's own run.
    """

    def checker(answer) -> tuple[bool, str]:
        if isinstance(answer, bool) or not isinstance(answer, Real) or not math.isfinite(answer):
            return False, f"Answer with a finite number (got {answer!r})."
        target = expected() if callable(expected) else expected
        if math.isclose(answer, target, rel_tol=rel_tol, abs_tol=abs_tol):
            return True, explanation
        return False, hint_low if answer < target else hint_high

    solution = (f"{expected:g} (within {rel_tol:.0%})" if not callable(expected)
                else "The value measured by your own run (the exercise computes it when you check).")
    return Exercise(question, checker, f"{solution}. {explanation}")


def _as_array(value) -> np.ndarray:
    """A NumPy copy of a number, list, array or tensor (tensors moved to the CPU)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=float)


def _call(function: Callable, case) -> Any:
    return function(**case) if isinstance(case, Mapping) else function(*case)


def _show_case(case) -> str:
    def short(value) -> str:
        if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
            return f"<{type(value).__name__} of shape {tuple(value.shape)}>"
        return repr(value)

    if isinstance(case, Mapping):
        return ", ".join(f"{key}={short(value)}" for key, value in case.items())
    return ", ".join(short(value) for value in case)


def _same(got, expected, rtol: float, atol: float) -> tuple[bool, str]:
    """Whether two results agree, and if not, what kind of difference (never the answer)."""
    if got is None or got is Ellipsis:
        return False, "it returned nothing yet (is its body still `...`, or is a `return` missing?)"
    try:
        got_array = _as_array(got)
    except (TypeError, ValueError):
        return False, f"it returned a {type(got).__name__}, not a number or an array of numbers"
    expected_array = _as_array(expected)
    if got_array.shape != expected_array.shape:
        return False, f"it returned shape {got_array.shape}, expected shape {expected_array.shape}"
    if not np.isfinite(got_array).all() and np.isfinite(expected_array).all():
        return False, "it returned NaN or infinity"
    if np.allclose(got_array, expected_array, rtol=rtol, atol=atol, equal_nan=True):
        return True, ""
    return False, "its values differ from the reference"


def function_exercise(
    question: str,
    reference: Callable,
    cases: Sequence | Callable[[], Sequence],
    *,
    mistakes: Sequence[tuple[Callable, str]] = (),
    explanation: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> Exercise:
    """The learner writes a function; it is compared with ``reference`` on every case.

    ``cases`` are argument tuples (or keyword dicts), or a function returning them (fresh
    random inputs at each check); include edge cases. ``mistakes`` pairs a typical wrong
    version of the function with the hint it deserves: when the learner's function agrees
    with a wrong version on every case, that hint is the feedback. Otherwise the feedback
    names the first case that differs and how (shape, NaN, values), never the expected value.
    ``show_solution()`` prints the reference's source.
    """

    def checker(answer) -> tuple[bool, str]:
        if not callable(answer):
            return False, f"Pass your function itself (its name, without parentheses), not {type(answer).__name__}."
        all_cases = cases() if callable(cases) else cases
        expected = [_call(reference, case) for case in all_cases]
        results = []
        for case in all_cases:
            try:
                results.append(_call(answer, case))
            except Exception as error:  # the learner's code: report any failure as feedback
                return False, (f"Your function raised {type(error).__name__}: {error} "
                               f"for the inputs ({_show_case(case)}).")
        for wrong, hint in mistakes:
            try:
                wrong_results = [_call(wrong, case) for case in all_cases]
            except Exception:  # a sketched mistake that fails on some input cannot be matched: skip it
                continue
            matches_mistake = all(_same(got, bad, rtol, atol)[0]
                                  for got, bad in zip(results, wrong_results, strict=False))
            mistake_is_right = all(_same(bad, want, rtol, atol)[0]
                                   for bad, want in zip(wrong_results, expected, strict=False))
            if matches_mistake and not mistake_is_right:
                return False, hint
        for got, want, case in zip(results, expected, all_cases, strict=False):
            same, how = _same(got, want, rtol, atol)
            if not same:
                return False, f"For the inputs ({_show_case(case)}), {how}. Check your function on that case by hand."
        return True, explanation

    try:
        source = textwrap.dedent(inspect.getsource(reference))
    except (OSError, TypeError):  # defined where Python keeps no source (an interactive prompt)
        source = f"# the reference is {reference.__qualname__}; its source is not available here\n"
    return Exercise(question, checker, f"```python\n{source}```\n\n{explanation}")


@dataclass
class Prediction:
    """A "predict before you run" prompt: the learner's answer, compared after the run.

    In the notebook: ``guess = Prediction("seconds for B=1 over B=256", unit="x")`` and
    ``guess.record(...)`` before the experiment; ``guess.compare(measured)`` after it.
    """

    question: str
    unit: str = ""
    answer: Any = None

    def record(self, answer: Any) -> Prediction:
        """Keep ``answer`` (``...`` means no prediction yet) and return self."""
        self.answer = None if answer is Ellipsis else answer
        return self

    def compare(self, measured: Any, *, rel_tol: float = 0.5) -> Solution:
        """What the run measured next to what was predicted, as a sentence."""
        unit = f" {self.unit}" if self.unit else ""
        shown = f"{measured:.3g}" if isinstance(measured, Real) and not isinstance(measured, bool) else str(measured)
        if self.answer is None:
            return Solution(f"**{self.question}**: the run measured {shown}{unit}. (You made no prediction; next "
                            "time write one down first: a wrong guess you can check teaches more than none.)")
        if isinstance(self.answer, Real) and isinstance(measured, Real):
            close = math.isclose(self.answer, measured, rel_tol=rel_tol)
            verdict = "close" if close else ("too high" if self.answer > measured else "too low")
            return Solution(f"**{self.question}**: you predicted {self.answer:.3g}{unit}, the run measured "
                            f"{shown}{unit}: your prediction was {verdict} (within {rel_tol:.0%} counts as close).")
        same = str(self.answer).strip().lower() == str(measured).strip().lower()
        return Solution(f"**{self.question}**: you predicted {self.answer!r}, the run says {shown}: "
                        + ("you were right." if same else "not what you expected; the text below explains why."))
