"""Exercises with automatic feedback.

An `Exercise` holds a question and a checker. ``exercise.check(answer)`` returns a
`Feedback` that a notebook shows as a green "correct" with the explanation, or as a hint
that points the learner in the right direction without giving the answer away.

Two ready-made kinds cover most lessons: `multiple_choice` (one hint per wrong option)
and `numeric` (a number within a tolerance; hints for too low and too high). For anything
else, pass any checker ``answer -> (correct, message)`` to `Exercise`.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import Any

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


@dataclass(frozen=True, repr=False)
class Exercise:
    """A question and a checker ``answer -> (correct, message)``."""

    question: str
    checker: Callable[[Any], tuple[bool, str]]

    def check(self, answer: Any) -> Feedback:
        """Feedback on ``answer`` (``...`` or ``None`` means not answered yet)."""
        if answer is Ellipsis or answer is None:
            return Feedback(False, NO_ANSWER_YET)
        correct, message = self.checker(answer)
        return Feedback(bool(correct), message)

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

    return Exercise(f"{question}\n\n{listing}", checker)


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

    return Exercise(question, checker)
