"""The one answer parser (learning/answers.py), for live games and practice alike."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learning.answers import InvalidAnswer, parse_answer
from persistence.answer_flow import AttemptIn, validate_attempt

CENTS = st.integers(min_value=-9_999_999_999, max_value=9_999_999_999)


@pytest.mark.parametrize(("typed", "value"), [
    ("56", "56.00"), (" 7 ", "7.00"), ("-3", "-3.00"), ("+4", "4.00"), ("2.5", "2.50"),
    ("2,5", "2.50"), ("0.05", "0.05"), ("007", "7.00"), ("\t12\n", "12.00"),
    ("99999999.99", "99999999.99"), ("-99999999.99", "-99999999.99")])
def test_numbers_are_read_with_two_places(typed, value):
    parsed = parse_answer(typed)
    assert parsed == Decimal(value)
    assert str(parsed) == value


@pytest.mark.parametrize("typed", ["-0", "+0", "-0.00", "0,0"])
def test_zero_has_no_sign(typed):
    assert str(parse_answer(typed)) == "0.00"


@pytest.mark.parametrize("typed", [
    "", "  ", "abc", "5a", "1e3", "1E3", "NaN", "inf", "Infinity", "1_000", "1 000", "1.234",
    "123456789", "--1", "+-1", "5 6", ".5", "5.", "1.2.3", "0x10", "٣", "５６", "5\u200b",
    "−3"])
def test_anything_else_is_invalid(typed):
    with pytest.raises(InvalidAnswer) as error:
        parse_answer(typed)
    assert error.value.code == "invalid_answer"


@pytest.mark.parametrize("typed", [None, 5, 2.5, True, b"5", ["5"]])
def test_what_is_not_text_is_invalid(typed):
    with pytest.raises(InvalidAnswer):
        parse_answer(typed)


@given(cents=CENTS, separator=st.sampled_from(".,"), plus=st.booleans(),
       pad=st.sampled_from(["", " ", "\t", " \n "]))
def test_every_number_the_column_holds_reads_back_exactly(cents, separator, plus, pad):
    value = Decimal(cents).scaleb(-2)
    text = f"{value:f}".replace(".", separator)
    if plus and cents >= 0:
        text = "+" + text
    assert parse_answer(pad + text + pad) == value


@given(typed=st.text(max_size=40))
def test_whatever_is_accepted_the_writer_stores_as_typed(typed):
    try:
        parsed = parse_answer(typed)
    except InvalidAnswer:
        return
    trimmed = typed.strip()
    assert len(trimmed) <= 12
    assert parsed == Decimal(trimmed.replace(",", "."))
    assert parsed.as_tuple().exponent == -2
    validate_attempt(AttemptIn(
        attempt_id=uuid.uuid4(), user_id=uuid.uuid4(), session_id=uuid.uuid4(),
        question_id=uuid.uuid4(), raw_input=trimmed, user_answer=parsed,
        correct_answer=Decimal("56.00"), response_time_ms=1000,
        answered_at=dt.datetime(2025, 1, 1)))


@given(typed=st.from_regex(r"\s*[+-]?[0-9]{1,8}([.,][0-9]{1,2})?\s*", fullmatch=True))
def test_every_text_of_the_rule_is_accepted(typed):
    assert parse_answer(typed) == Decimal(typed.strip().replace(",", "."))
