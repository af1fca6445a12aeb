"""Reading what a student typed: a number as the seed stores it (DECIMAL(10,2))."""

from __future__ import annotations

import re
from decimal import Decimal

MAX_RAW_LENGTH = 16
_NUMBER = re.compile(r"^[+-]?\d{1,8}(?:[.,]\d{1,2})?$")


class InvalidAnswer(ValueError):
    pass


def parse_answer(raw: str) -> Decimal:
    """The number in `raw` ("56", "-3", "2.5", "2,5"), or InvalidAnswer."""
    text = raw.strip() if isinstance(raw, str) else ""
    if len(text) > MAX_RAW_LENGTH or not _NUMBER.match(text):
        raise InvalidAnswer("answer must be a number such as 56, -3 or 2.5")
    return Decimal(text.replace(",", "."))
