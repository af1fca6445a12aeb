"""The seed's data retention policy, applied in small batches.

- answer attempts older than 2 years move to answer_attempts_archive (restorable);
- learning events older than 90 days become per-user, per-day, per-type counts and are deleted;
- daily practice summaries are kept forever (nothing to do);
- practice sessions older than 6 months keep only their summary: the nested objects and arrays
  of `config` and the `new_mastered_facts` list are dropped, `details_trimmed_at` is stamped.
  The row stays, because archived answer attempts still reference it.

Every batch is its own short transaction (`lock_timeout` bounded, `FOR UPDATE SKIP LOCKED`),
so the game never waits on retention and an interrupted run loses nothing: each row moves
exactly once, and running again only picks up what is left. A session-level advisory lock
keeps two workers from running retention at the same time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.database import Database

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
# A batch that would wait longer than this for a row lock gives up (and is retried next run)
# rather than queueing the game's writes behind it.
LOCK_TIMEOUT = "5s"
# pg_try_advisory_lock key: "mathrally retention", so it never collides with the migrations'.
ADVISORY_LOCK_KEY = 0x6D72_7265_7465_6E74

ATTEMPTS = "answer_attempts"
EVENTS = "learning_events"
SESSIONS = "practice_sessions"

Progress = Callable[[str, int], None]


class RetentionError(RuntimeError):
    pass


def _years_ago(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February in a year that has none
        return now.replace(year=now.year - years, day=28)


def _months_ago(now: dt.datetime, months: int) -> dt.datetime:
    month_index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(month_index, 12)
    day = now.day
    while True:
        try:
            return now.replace(year=year, month=month + 1, day=day)
        except ValueError:  # 31 March minus one month is the last day of February
            day -= 1


@dataclass(frozen=True)
class Cutoffs:
    """Rows strictly older than these instants (UTC, naive like the schema's TIMESTAMPs) go."""

    attempts: dt.datetime
    events: dt.datetime
    sessions: dt.datetime

    @classmethod
    def at(cls, now: dt.datetime) -> Cutoffs:
        if now.tzinfo is not None:
            now = now.astimezone(dt.UTC).replace(tzinfo=None)
        return cls(attempts=_years_ago(now, 2), events=now - dt.timedelta(days=90),
                   sessions=_months_ago(now, 6))


@dataclass
class RetentionReport:
    now: dt.datetime
    cutoffs: Cutoffs
    dry_run: bool
    # How many rows each step moved (or, in a dry run, would move).
    counts: dict[str, int] = field(default_factory=lambda: {ATTEMPTS: 0, EVENTS: 0, SESSIONS: 0})

    def summary(self) -> str:
        verb = "would" if self.dry_run else "did"
        return (f"retention {verb}: archive {self.counts[ATTEMPTS]} answer attempts older than "
                f"{self.cutoffs.attempts:%Y-%m-%d %H:%M}; aggregate and delete "
                f"{self.counts[EVENTS]} learning events older than "
                f"{self.cutoffs.events:%Y-%m-%d %H:%M}; trim the details of "
                f"{self.counts[SESSIONS]} practice sessions older than "
                f"{self.cutoffs.sessions:%Y-%m-%d %H:%M}")


# --- the three batch statements -------------------------------------------------------------

AGGREGATE_EVENTS = """
WITH batch AS (
    SELECT id FROM learning_events WHERE timestamp < :cutoff
    ORDER BY timestamp LIMIT :batch_size FOR UPDATE SKIP LOCKED
), gone AS (
    DELETE FROM learning_events e USING batch WHERE e.id = batch.id
    RETURNING e.user_id, e.timestamp::date AS date, e.type
), counted AS (
    INSERT INTO learning_event_daily_counts AS c (user_id, date, type, event_count)
    SELECT user_id, date, type, count(*) FROM gone GROUP BY user_id, date, type
    ON CONFLICT (user_id, date, type)
    DO UPDATE SET event_count = c.event_count + EXCLUDED.event_count
)
SELECT count(*) FROM gone
"""

# Scalars of a config object (mode settings, ids, limits) stay; nested objects and arrays
# (question lists, per-question detail) go. A config that is not an object becomes {}.
TRIM_SESSIONS = """
WITH batch AS (
    SELECT id FROM practice_sessions
    WHERE details_trimmed_at IS NULL AND start_time < :cutoff
    ORDER BY start_time LIMIT :batch_size FOR UPDATE SKIP LOCKED
), trimmed AS (
    UPDATE practice_sessions s SET
        config = CASE WHEN jsonb_typeof(s.config) = 'object' THEN COALESCE(
            (SELECT jsonb_object_agg(key, value) FROM jsonb_each(s.config)
             WHERE jsonb_typeof(value) NOT IN ('object', 'array')), '{}'::jsonb)
            ELSE '{}'::jsonb END,
        new_mastered_facts = NULL,
        details_trimmed_at = :now
    FROM batch WHERE s.id = batch.id
    RETURNING 1
)
SELECT count(*) FROM trimmed
"""


def _archive_statement(columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    moved = ", ".join(f'a."{c}"' for c in columns)
    return f"""
WITH batch AS (
    SELECT id FROM answer_attempts WHERE timestamp < :cutoff
    ORDER BY timestamp LIMIT :batch_size FOR UPDATE SKIP LOCKED
), moved AS (
    DELETE FROM answer_attempts a USING batch WHERE a.id = batch.id RETURNING {moved}
), archived AS (
    INSERT INTO answer_attempts_archive ({names}) SELECT {names} FROM moved RETURNING 1
)
SELECT count(*) FROM archived
"""


def _unarchive_statement(columns: list[str]) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    moved = ", ".join(f'r."{c}"' for c in columns)
    return f"""
WITH batch AS (
    SELECT id FROM answer_attempts_archive WHERE timestamp >= :since AND timestamp < :until
    ORDER BY timestamp LIMIT :batch_size FOR UPDATE SKIP LOCKED
), moved AS (
    DELETE FROM answer_attempts_archive r USING batch WHERE r.id = batch.id RETURNING {moved}
), restored AS (
    INSERT INTO answer_attempts ({names}) SELECT {names} FROM moved RETURNING 1
)
SELECT count(*) FROM restored
"""


COUNT_AGED = {
    ATTEMPTS: "SELECT count(*) FROM answer_attempts WHERE timestamp < :cutoff",
    EVENTS: "SELECT count(*) FROM learning_events WHERE timestamp < :cutoff",
    SESSIONS: "SELECT count(*) FROM practice_sessions "
              "WHERE details_trimmed_at IS NULL AND start_time < :cutoff",
}


async def archived_columns(conn: AsyncConnection) -> list[str]:
    """The columns both tables share, in the hot table's order; every hot column must be there.

    Read from the catalog at run time so a migration that adds a column to answer_attempts
    and forgets the archive fails loudly here instead of silently dropping data.
    """
    rows = (await conn.execute(text(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name IN "
        "('answer_attempts', 'answer_attempts_archive') ORDER BY ordinal_position"))).all()
    hot = [column for table, column in rows if table == "answer_attempts"]
    archive = {column for table, column in rows if table == "answer_attempts_archive"}
    missing = [column for column in hot if column not in archive]
    if missing:
        raise RetentionError(
            f"answer_attempts_archive lacks {', '.join(missing)}: a migration that adds columns "
            "to answer_attempts must add them to the archive too")
    return hot


async def _run_batches(db: Database, step: str, sql: str, params: dict[str, Any],
                       batch_size: int, on_progress: Progress | None) -> int:
    total = 0
    while True:
        async with db.engine.begin() as conn:
            await conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            moved: int = (await conn.execute(text(sql), {**params, "batch_size": batch_size})).scalar_one()
        total += moved
        if moved:
            if on_progress:
                on_progress(step, total)
        if moved < batch_size:
            return total


async def run_retention(db: Database, *, now: dt.datetime | None = None,
                        batch_size: int = DEFAULT_BATCH_SIZE, dry_run: bool = False,
                        on_progress: Progress | None = None) -> RetentionReport:
    """Apply the policy as of `now` (default: the current UTC time); safe to repeat."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or dt.datetime.now(dt.UTC)
    cutoffs = Cutoffs.at(now)
    naive_now = now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now
    report = RetentionReport(now=naive_now, cutoffs=cutoffs, dry_run=dry_run)
    cutoff_of = {ATTEMPTS: cutoffs.attempts, EVENTS: cutoffs.events, SESSIONS: cutoffs.sessions}

    if dry_run:
        async with db.engine.connect() as conn:
            await archived_columns(conn)
            for step, sql in COUNT_AGED.items():
                report.counts[step] = (await conn.execute(
                    text(sql), {"cutoff": cutoff_of[step]})).scalar_one()
        return report

    async with db.engine.connect() as lock_conn:
        # Autocommit: holding the lock must not hold a transaction (and its snapshot) open.
        lock_conn = await lock_conn.execution_options(isolation_level="AUTOCOMMIT")
        got_lock = (await lock_conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})).scalar_one()
        if not got_lock:
            raise RetentionError("another retention run holds the lock; try again later")
        try:
            columns = await archived_columns(lock_conn)
            # Events first: a session's learning events are gone long before it is six
            # months old, so trimming sessions never has to look at them.
            report.counts[EVENTS] = await _run_batches(
                db, EVENTS, AGGREGATE_EVENTS, {"cutoff": cutoffs.events}, batch_size, on_progress)
            report.counts[SESSIONS] = await _run_batches(
                db, SESSIONS, TRIM_SESSIONS, {"cutoff": cutoffs.sessions, "now": naive_now},
                batch_size, on_progress)
            report.counts[ATTEMPTS] = await _run_batches(
                db, ATTEMPTS, _archive_statement(columns), {"cutoff": cutoffs.attempts},
                batch_size, on_progress)
        finally:
            await lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
    return report


async def unarchive_attempts(db: Database, since: dt.datetime, until: dt.datetime, *,
                             batch_size: int = DEFAULT_BATCH_SIZE,
                             on_progress: Progress | None = None) -> int:
    """Move archived attempts with since <= timestamp < until back to answer_attempts.

    Rows older than two years go back to the archive at the next retention run; stop the
    retention worker while restored rows are needed in the hot table.
    """
    async with db.engine.connect() as conn:
        columns = await archived_columns(conn)
    return await _run_batches(db, ATTEMPTS, _unarchive_statement(columns),
                              {"since": since, "until": until}, batch_size, on_progress)
