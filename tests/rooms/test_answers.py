from decimal import Decimal

import pytest

from rooms.answers import InvalidAnswer, parse_answer


@pytest.mark.parametrize("raw,value", [("56", 56), ("-3", -3), ("2.5", Decimal("2.5")),
                                       (" 7 ", 7), ("2,5", Decimal("2.5")), ("+4", 4)])
def test_numbers(raw, value):
    assert parse_answer(raw) == value


@pytest.mark.parametrize("raw", ["", "abc", "5a", "1e5", "NaN", "inf", "1.234", "123456789",
                                 "--1", "1 2", None, 5])
def test_not_numbers(raw):
    with pytest.raises(InvalidAnswer):
        parse_answer(raw)
