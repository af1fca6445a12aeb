import random
from decimal import Decimal

import pytest

from learning.questions import choose_facts, fact_pool


def test_division_has_no_zero_divisor_and_whole_quotients():
    pool = fact_pool("÷", 0, 12)
    assert pool
    for fact in pool:
        assert fact.operand2 != 0
        assert fact.operand1 % fact.operand2 == 0
        assert fact.correct_answer == Decimal(fact.operand1 // fact.operand2)


def test_subtraction_never_goes_negative():
    assert all(f.correct_answer >= 0 for f in fact_pool("-", 0, 10))


@pytest.mark.parametrize("op,a,b,answer", [("+", 3, 4, 7), ("×", 7, 8, 56)])
def test_answers_are_right(op, a, b, answer):
    facts = {(f.operand1, f.operand2): f for f in fact_pool(op, 0, 10)}
    assert facts[(a, b)].correct_answer == answer
    assert facts[(a, b)].prompt == f"{a} {op} {b}"


def test_no_repeats_until_the_pool_is_used_up_and_no_fact_twice_running():
    facts = choose_facts("×", 2, 3, 10, random.Random(1))  # a pool of 4 facts
    assert len(facts) == 10
    assert len(set(facts[:4])) == 4
    assert all(facts[i] != facts[i + 1] for i in range(9))


def test_division_by_zero_only_range_is_refused():
    with pytest.raises(ValueError):
        fact_pool("÷", 0, 0)
