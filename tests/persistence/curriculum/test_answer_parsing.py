"""What a child types becomes a DECIMAL(10,2), or a clear invalid_answer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from persistence.curriculum.practice import PracticeError, parse_answer


@pytest.mark.parametrize(("typed", "value"), [
    ("56", Decimal("56.00")), (" 7 ", Decimal("7.00")), ("-3", Decimal("-3.00")),
    ("2.5", Decimal("2.50")), ("2,5", Decimal("2.50")), (144, Decimal("144.00")),
    ("+12", Decimal("12.00")), ("99999999.99", Decimal("99999999.99"))])
def test_numbers_are_accepted(typed, value):
    assert parse_answer(typed) == value


@pytest.mark.parametrize("typed", [
    "", "  ", "abc", "1e3", "NaN", "Infinity", "1_000", "123456789", "1.234", "--1", "5 6",
    None, True, 2.5, [], {}, "٣"])
def test_anything_else_is_invalid_answer(typed):
    with pytest.raises(PracticeError) as error:
        parse_answer(typed)
    assert (error.value.status, error.value.code) == (400, "invalid_answer")
