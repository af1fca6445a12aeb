"""The strategy behind every fact of the standard tracks (learning/strategies.py, catalog.py)."""

from __future__ import annotations

import re

import pytest

from learning import strategies
from learning.catalog import EASY_STRATEGIES, HARD_STRATEGIES, TRACKS, Fact, sectioned_facts

EVERY_FACT = sorted({placed.fact for track in TRACKS for placed in sectioned_facts(track)},
                    key=lambda f: (f.operation, f.operand1, f.operand2))


def _mentions(text: str, number: int) -> bool:
    return re.search(rf"(?<![0-9]){number}(?![0-9])", text) is not None


@pytest.mark.parametrize("fact", EVERY_FACT, ids=lambda f: f.label)
def test_every_explanation_arrives_at_the_answer(fact: Fact):
    teaching = fact.teaching()
    assert _mentions(teaching.explanation, fact.answer)
    assert teaching.hint and teaching.hint != teaching.explanation
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", teaching.strategy)


def test_the_catalog_facts_are_right():
    for fact in EVERY_FACT:
        a, b = fact.operand1, fact.operand2
        if fact.operation == "÷":
            assert b != 0 and a % b == 0 and fact.answer * b == a
        else:
            assert fact.answer == {"+": a + b, "-": a - b, "×": a * b}[fact.operation]
            assert fact.answer >= 0


def test_seven_times_eight_leans_on_times_eight_whichever_way_round():
    for a, b in ((7, 8), (8, 7)):
        teaching = strategies.multiplication(a, b)
        assert teaching.strategy == "double-four"
        assert "7 × 4 = 28, doubled is 56" in teaching.explanation
        assert f"{b} × {a} = 56 too" in teaching.explanation


@pytest.mark.parametrize(("a", "b", "strategy"), [
    (5, 0, "plus-zero"), (6, 1, "plus-one"), (4, 4, "doubles"), (4, 5, "near-doubles"),
    (3, 7, "pairs-to-ten"), (8, 5, "make-ten"), (5, 2, "count-on"), (5, 3, "ten-frame")])
def test_addition_strategies(a, b, strategy):
    assert strategies.addition(a, b).strategy == strategy


@pytest.mark.parametrize(("a", "b", "strategy"), [
    (7, 0, "minus-zero"), (7, 7, "minus-itself"), (7, 1, "minus-one"),
    (13, 5, "back-through-ten"), (9, 4, "think-addition")])
def test_subtraction_strategies(a, b, strategy):
    assert strategies.subtraction(a, b).strategy == strategy


@pytest.mark.parametrize(("dividend", "divisor", "strategy"), [
    (0, 4, "zero-divided"), (9, 1, "divide-by-one"), (6, 6, "divide-by-itself"),
    (14, 2, "halving"), (70, 10, "divide-by-ten"), (56, 7, "fact-family")])
def test_division_strategies(dividend, divisor, strategy):
    assert strategies.division(dividend, divisor).strategy == strategy


def test_difficulty_follows_the_strategy():
    assert Fact(3, 0, "+").difficulty() == "easy"
    assert Fact(7, 8, "×").difficulty() == "hard"
    assert Fact(6, 4, "×").difficulty() == "medium"
    assert EASY_STRATEGIES.isdisjoint(HARD_STRATEGIES)


def _family(fact: Fact) -> str:
    return next(tag for tag in fact.tags("any") if tag.startswith("fact-family:"))


def test_a_fact_family_is_one_tag_across_operations():
    assert {_family(f) for f in (Fact(7, 8, "×"), Fact(8, 7, "×"), Fact(56, 7, "÷"),
                                 Fact(56, 8, "÷"))} == {"fact-family:×:7,8,56"}
    assert {_family(f) for f in (Fact(3, 5, "+"), Fact(5, 3, "+"), Fact(8, 3, "-"),
                                 Fact(8, 5, "-"))} == {"fact-family:+:3,5,8"}
    assert _family(Fact(7, 8, "×")) != _family(Fact(7, 9, "×"))
