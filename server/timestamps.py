"""The wire's `*_at` fields: epoch milliseconds from the database's UTC TIMESTAMP columns."""

from __future__ import annotations

import datetime as dt


def epoch_ms(utc: dt.datetime | None) -> int | None:
    if utc is None:
        return None
    # TIMESTAMP without time zone holds UTC here; a naive value must not be read as local time.
    return int(utc.replace(tzinfo=dt.UTC).timestamp() * 1000)


def utc_now() -> dt.datetime:
    """Now, as the naive UTC the database's TIMESTAMP columns hold."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
