"""Accommodations a teacher gives a student: more time (1.5× or 2× a question's time limit,
or untimed) and accuracy scoring (a correct answer scores without a speed bonus).

They change the clock and the points, never the learning record: the answer flow stores the
true response time, and mastery, fluency levels and the review schedule are computed from it
(docs/practice.md, "Teacher controls").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TIME_MULTIPLIERS = (Decimal(1), Decimal("1.5"), Decimal(2))
UNTIMED = "untimed"


class InvalidAccommodation(ValueError):
    code = "invalid_payload"


def parse_time_multiplier(value: object) -> Decimal | None:
    """1, 1.5 or 2 (a JSON number), or "untimed" (→ None)."""
    if value == UNTIMED:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAccommodation('time_multiplier must be 1, 1.5, 2 or "untimed"')
    multiplier = Decimal(str(value))
    if multiplier not in TIME_MULTIPLIERS:
        raise InvalidAccommodation('time_multiplier must be 1, 1.5, 2 or "untimed"')
    return multiplier


@dataclass(frozen=True)
class Accommodation:
    time_multiplier: Decimal | None = Decimal(1)  # None: untimed
    accuracy_scoring: bool = False

    @classmethod
    def stored(cls, time_multiplier: Decimal | None, accuracy_scoring: bool) -> Accommodation:
        return cls(None if time_multiplier is None else Decimal(time_multiplier).normalize(),
                   bool(accuracy_scoring))

    @property
    def untimed(self) -> bool:
        return self.time_multiplier is None

    @property
    def is_default(self) -> bool:
        return self.time_multiplier == 1 and not self.accuracy_scoring

    def time_limit_ms(self, class_limit_ms: int) -> int | None:
        """This student's time for a question the class gets `class_limit_ms` for; None:
        no limit."""
        if self.time_multiplier is None:
            return None
        return int((class_limit_ms * self.time_multiplier).quantize(Decimal(1), ROUND_HALF_UP))

    def as_json(self) -> dict[str, Any]:
        m = self.time_multiplier
        return {"time_multiplier": UNTIMED if m is None else (int(m) if m == m.to_integral() else float(m)),
                "accuracy_scoring": self.accuracy_scoring}


DEFAULT = Accommodation()
