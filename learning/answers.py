"""Reading what a student typed: one rule for live games and solo practice alike.

An answer is a number as the seed stores it (DECIMAL(10,2)): surrounding whitespace is
ignored, then an optional sign, 1 to 8 ASCII digits, and optionally a "." or "," followed by
1 or 2 digits. Nothing else: no exponent, no NaN or infinity, no thousands separator, no
other script's digits (the pages send 0–9 only). So an answer is at most 12 characters
once trimmed, and everything this accepts fits the answer_attempts columns exactly.
"""

from __future__ import annotations

import re
from decimal import Decimal

# [0-9], not \d: \d would also take the ~700 other decimal digits Unicode has.
_NUMBER = re.compile(r"[+-]?[0-9]{1,8}(?:[.,][0-9]{1,2})?")
_CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
RULE = "answer must be a number such as 56, -3 or 2.5 (up to 8 digits and 2 decimals)"


class InvalidAnswer(ValueError):
    """What was typed is not an answer; `code` is the error code clients see."""

    code = "invalid_answer"

    def __init__(self) -> None:
        super().__init__(RULE)


def parse_answer(typed: str) -> Decimal:
    """The number in `typed` ("56", " -3 ", "2.5", "2,5") with exactly two decimal places,
    or InvalidAnswer. "-0" is 0.00: PostgreSQL's numeric has no negative zero."""
    if not isinstance(typed, str):  # a caller outside the type checker's sight
        raise InvalidAnswer
    text = typed.strip()
    if not _NUMBER.fullmatch(text):
        raise InvalidAnswer
    value = Decimal(text.replace(",", ".")).quantize(_CENT)
    return value if value else _ZERO
