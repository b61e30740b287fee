"""Tests for lesson 00's coding exercise (course_utils.tour)."""
import math

from course_utils.tour import EXERCISES, updates_per_epoch


def test_updates_per_epoch_exercise_accepts_the_reference_and_hints_each_mistake():
    exercise = EXERCISES["updates_per_epoch_code"]
    assert updates_per_epoch(500, 64) == 8 and updates_per_epoch(500, 50) == 10
    assert exercise.check(updates_per_epoch).correct
    assert exercise.check(lambda n_train, batch_size: -(-n_train // batch_size)).correct
    assert "rounded down" in exercise.check(lambda n_train, batch_size: n_train // batch_size).message
    assert "fraction" in exercise.check(lambda n_train, batch_size: n_train / batch_size).message
    assert "divides" in exercise.check(lambda n_train, batch_size: n_train // batch_size + 1).message
    assert not exercise.check(lambda n_train, batch_size: math.ceil(n_train / batch_size) + 2).correct
    assert "math.ceil" in exercise.show_solution().text
