"""The seed's retention policy, run against a real database with an injected "now"."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from sqlalchemy import text

from persistence.backup import table_fingerprints
from persistence.retention import (
    ATTEMPTS,
    EVENTS,
    SESSIONS,
    Cutoffs,
    RetentionError,
    archived_columns,
    run_retention,
    unarchive_attempts,
)
from tests.support import factories

NOW = dt.datetime(2026, 11, 24, 12, 0, 0)
ARCHIVE_COLUMNS = "answer_attempts_archive"


_QUESTION_INDEXES = itertools.count()


async def _attempt(db, *, user_id, session_id, question_id, at: dt.datetime) -> uuid.UUID:
    # A live answer: each its own question of the game (one scored answer per question).
    async with db.sessions() as session, session.begin():
        return await session.scalar(text(
            "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
            "is_correct, correct_answer, response_time, timestamp, input_method, raw_input, "
            "attempt_number, attempt_id, question_index, points) VALUES (:q, :u, :s, 6, true, "
            "6, 1234, :at, 'keyboard', '6', 1, :aid, :i, 850) RETURNING id"),
            {"q": question_id, "u": user_id, "s": session_id, "at": at, "aid": uuid.uuid4(),
             "i": next(_QUESTION_INDEXES)})


async def _event(db, *, user_id, kind: str, at: dt.datetime) -> None:
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO learning_events (type, user_id, timestamp, payload) "
            "VALUES (:t, :u, :at, '{}'::jsonb)"), {"t": kind, "u": user_id, "at": at})


async def _session(db, user_id, *, started: dt.datetime, config: dict) -> uuid.UUID:
    session_id = await factories.make_session(db, user_id, config=config)
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "UPDATE practice_sessions SET start_time = :t, new_mastered_facts = ARRAY['3×4'] "
            "WHERE id = :id"), {"t": started, "id": session_id})
    return session_id


async def _rows(db, sql: str, **params) -> list[dict]:
    async with db.engine.connect() as conn:
        return [dict(row) for row in (await conn.execute(text(sql), params)).mappings()]


@pytest.fixture
async def aged(clean_db):
    """Rows on both sides of every cutoff, as of NOW."""
    db = clean_db
    user = await factories.make_user(db)
    _, facts = await factories.make_track(db, size=2)
    config = {"operation": "×", "time_limit_ms": 20000, "questions": [1, 2, 3],
              "options": {"shuffle": True}}
    old_session = await _session(db, user, started=NOW - dt.timedelta(days=800), config=config)
    recent_session = await _session(db, user, started=NOW - dt.timedelta(days=150), config=config)
    old_attempts = [await _attempt(db, user_id=user, session_id=old_session,
                                   question_id=facts[i]["id"],
                                   at=NOW - dt.timedelta(days=731 + i)) for i in range(3)]
    kept_attempt = await _attempt(db, user_id=user, session_id=recent_session,
                                  question_id=facts[0]["id"], at=NOW - dt.timedelta(days=700))
    day = NOW - dt.timedelta(days=100)
    for minutes in (0, 5, 10):
        await _event(db, user_id=user, kind="answer", at=day + dt.timedelta(minutes=minutes))
    await _event(db, user_id=user, kind="join", at=day)
    await _event(db, user_id=user, kind="answer", at=day - dt.timedelta(days=1))
    await _event(db, user_id=user, kind="answer", at=NOW - dt.timedelta(days=89))
    return {"db": db, "user": user, "old_session": old_session, "recent_session": recent_session,
            "old_attempts": old_attempts, "kept_attempt": kept_attempt, "day": day.date()}


async def test_aged_rows_are_archived_aggregated_and_trimmed_exactly_once(aged):
    db = aged["db"]
    before = await _rows(db, "SELECT * FROM answer_attempts WHERE id = ANY(:ids) ORDER BY id",
                         ids=aged["old_attempts"])
    progress = []

    report = await run_retention(db, now=NOW, batch_size=2,
                                 on_progress=lambda step, total: progress.append((step, total)))

    assert report.counts == {ATTEMPTS: 3, EVENTS: 5, SESSIONS: 1}
    # Batches of two: progress is reported per batch, with running totals.
    assert (ATTEMPTS, 2) in progress and (ATTEMPTS, 3) in progress
    assert (EVENTS, 4) in progress and (EVENTS, 5) in progress

    hot = await _rows(db, "SELECT id FROM answer_attempts")
    assert [row["id"] for row in hot] == [aged["kept_attempt"]]
    archived = await _rows(db, "SELECT * FROM answer_attempts_archive ORDER BY id")
    assert [{k: v for k, v in row.items() if k != "archived_at"} for row in archived] == before

    counts = await _rows(db, "SELECT date, type, event_count FROM learning_event_daily_counts "
                             "ORDER BY date, type")
    assert counts == [
        {"date": aged["day"] - dt.timedelta(days=1), "type": "answer", "event_count": 1},
        {"date": aged["day"], "type": "answer", "event_count": 3},
        {"date": aged["day"], "type": "join", "event_count": 1},
    ]
    left = await _rows(db, "SELECT timestamp FROM learning_events")
    assert [row["timestamp"] for row in left] == [NOW - dt.timedelta(days=89)]

    sessions = {row["id"]: row for row in await _rows(
        db, "SELECT id, config, new_mastered_facts, details_trimmed_at FROM practice_sessions")}
    old, recent = sessions[aged["old_session"]], sessions[aged["recent_session"]]
    assert old["config"] == {"operation": "×", "time_limit_ms": 20000}
    assert old["new_mastered_facts"] is None and old["details_trimmed_at"] == NOW
    assert recent["config"]["questions"] == [1, 2, 3] and recent["details_trimmed_at"] is None

    # Again, and again a day later: nothing is moved or counted twice.
    snapshot = await table_fingerprints(db.engine.url.render_as_string(hide_password=False))
    again = await run_retention(db, now=NOW, batch_size=2)
    assert again.counts == {ATTEMPTS: 0, EVENTS: 0, SESSIONS: 0}
    assert await table_fingerprints(
        db.engine.url.render_as_string(hide_password=False)) == snapshot


async def test_events_of_one_day_split_across_runs_add_up(aged):
    db = aged["db"]
    # The first run's cutoff falls between the 0th and 5th minute of that day's answers.
    first_now = dt.datetime.combine(aged["day"], NOW.time()) + dt.timedelta(days=90, minutes=1)
    first = await run_retention(db, now=first_now)
    second = await run_retention(db, now=NOW)
    assert first.counts[EVENTS] + second.counts[EVENTS] == 5
    counts = await _rows(db, "SELECT event_count FROM learning_event_daily_counts "
                             "WHERE date = :d AND type = 'answer'", d=aged["day"])
    assert counts == [{"event_count": 3}]


async def test_dry_run_counts_and_changes_nothing(aged):
    db = aged["db"]
    url = db.engine.url.render_as_string(hide_password=False)
    before = await table_fingerprints(url)
    report = await run_retention(db, now=NOW, dry_run=True)
    assert report.dry_run and report.counts == {ATTEMPTS: 3, EVENTS: 5, SESSIONS: 1}
    assert "would" in report.summary()
    assert await table_fingerprints(url) == before


async def test_an_archived_range_can_be_restored(aged):
    db = aged["db"]
    await run_retention(db, now=NOW)
    restored = await unarchive_attempts(db, NOW - dt.timedelta(days=732), NOW - dt.timedelta(days=730),
                                        batch_size=1)
    assert restored == 2  # the attempts 731 and 732 days old; 733 is outside the range
    hot = await _rows(db, "SELECT count(*) AS n FROM answer_attempts")
    archive = await _rows(db, "SELECT count(*) AS n FROM answer_attempts_archive")
    assert (hot[0]["n"], archive[0]["n"]) == (3, 1)


async def test_the_archive_has_every_column_of_the_hot_table_with_its_type(db):
    async with db.engine.connect() as conn:
        columns = await archived_columns(conn)
        types = await conn.execute(text(
            "SELECT table_name, column_name, data_type, numeric_precision, numeric_scale, "
            "character_maximum_length FROM information_schema.columns WHERE table_name IN "
            "('answer_attempts', 'answer_attempts_archive')"))
    by_table: dict[str, dict] = {}
    for table, column, *kind in types:
        by_table.setdefault(table, {})[column] = kind
    assert {c: by_table["answer_attempts"][c] for c in columns} == \
        {c: by_table[ARCHIVE_COLUMNS][c] for c in columns}


async def test_a_hot_column_missing_from_the_archive_is_refused(db):
    async with db.engine.connect() as conn:
        transaction = await conn.begin()
        try:
            await conn.execute(text("ALTER TABLE answer_attempts ADD COLUMN not_archived INTEGER"))
            with pytest.raises(RetentionError, match="not_archived"):
                await archived_columns(conn)
        finally:
            await transaction.rollback()  # DDL is transactional: no trace left


@pytest.mark.parametrize(("now", "attempts", "sessions"), [
    (dt.datetime(2028, 2, 29, 3, 0), dt.datetime(2026, 2, 28, 3, 0), dt.datetime(2027, 8, 29, 3, 0)),
    (dt.datetime(2026, 8, 31, 0, 0), dt.datetime(2024, 8, 31, 0, 0), dt.datetime(2026, 2, 28, 0, 0)),
    (dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
     dt.datetime(2024, 3, 15, 7, 30), dt.datetime(2025, 9, 15, 7, 30)),
])
def test_cutoffs_are_calendar_years_and_months_in_utc(now, attempts, sessions):
    cutoffs = Cutoffs.at(now)
    assert (cutoffs.attempts, cutoffs.sessions) == (attempts, sessions)
    naive = now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now
    assert cutoffs.events == naive - dt.timedelta(days=90)


async def test_a_session_config_that_is_not_an_object_is_emptied(clean_db):
    user = await factories.make_user(clean_db)
    session_id = await _session(clean_db, user, started=NOW - dt.timedelta(days=200), config={})
    async with clean_db.sessions() as session, session.begin():
        await session.execute(text("UPDATE practice_sessions SET config = '[1, 2]'::jsonb "
                                   "WHERE id = :id"), {"id": session_id})
    report = await run_retention(clean_db, now=NOW)
    assert report.counts[SESSIONS] == 1
    rows = await _rows(clean_db, "SELECT config FROM practice_sessions WHERE id = :id", id=session_id)
    assert rows == [{"config": {}}]
