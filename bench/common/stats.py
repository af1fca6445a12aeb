"""Percentiles without numpy (the generator must stay light)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max of durations given in seconds, returned in milliseconds."""
    ordered = sorted(seconds)

    def at(share: float) -> float | None:
        value = percentile(ordered, share)
        return None if value is None else round(value * 1000, 2)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": round(ordered[-1] * 1000, 2) if ordered else None}
