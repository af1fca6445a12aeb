"""One fact is one question row: a range game asks the tracks' rows, the seed folds free rows
made before it into the tracks', and migration 0009 merged what was stored twice."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import asyncpg
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from persistence.migrations import migrate_async
from persistence.room_store import PostgresRoomStore
from tests.support import databases, services
from tests.support.factories import make_session, make_user

MULT = track_id("multiplication-12")


async def _row_of(db, a, b, op):
    async with db.engine.connect() as conn:
        return (await conn.execute(text(
            "SELECT id, track_id FROM questions WHERE operand1 = :a AND operand2 = :b "
            "AND operation = :op AND operand3 IS NULL"), {"a": a, "b": b, "op": op})).all()


async def test_a_range_game_asks_the_tracks_row_and_only_new_facts_get_a_row(clean_db):
    await seed_curriculum(clean_db)
    store = PostgresRoomStore(clean_db)
    facts = [(7, 8, "×", Decimal(56)), (13, 14, "×", Decimal(182)), (7, 8, "×", Decimal(56))]
    first = await store.find_or_create_facts(facts)
    assert first == await store.find_or_create_facts(facts)
    [(seven_eight, home)] = await _row_of(clean_db, 7, 8, "×")
    assert first[0] == first[2] == seven_eight and home == MULT
    [(free, no_track)] = await _row_of(clean_db, 13, 14, "×")
    assert first[1] == free and no_track is None


async def test_the_seed_makes_a_free_row_from_before_it_the_tracks_row(clean_db):
    store = PostgresRoomStore(clean_db)
    [free] = await store.find_or_create_facts([(6, 7, "×", Decimal(42))])
    user = await make_user(clean_db)
    session = await make_session(clean_db, user, mode="live")
    async with clean_db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, is_correct, "
            "correct_answer, response_time, input_method, attempt_number, attempt_id) "
            "VALUES (:q, :u, :s, 42, true, 42, 1500, 'keyboard', 1, :a)"),
            {"q": free, "u": user, "s": session, "a": uuid.uuid4()})
        await conn.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts, "
            "total_response_time, average_response_time, last_attempt_date, next_review_date) "
            "VALUES (:q, :u, 1, 1, 1500, 1500, '2026-03-01 10:00', '2026-03-02')"),
            {"q": free, "u": user})
    report = await seed_curriculum(clean_db)
    assert report.merged == 1
    [(row, home)] = await _row_of(clean_db, 6, 7, "×")
    assert home == MULT and row != free
    async with clean_db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT question_id FROM answer_attempts WHERE user_id = :u"),
                                 {"u": user}) == row
        progress = (await conn.execute(text(
            "SELECT question_id, total_attempts, next_review_date FROM question_progress "
            "WHERE user_id = :u"), {"u": user})).all()
    assert progress == [(row, 1, dt.date(2026, 3, 2))]
    assert (await seed_curriculum(clean_db)).changed == 0


async def test_the_migration_merges_copies_and_their_progress(postgres_server_url):
    """A database at revision 0008 holding 7 × 8 three times (a one-operation track's row, a
    mixed track's copy, a range game's free row), with one student's progress on each."""
    name = services.unique_name("mathrally_onefact")
    url = await databases.create_database(postgres_server_url, name)
    try:
        await migrate_async(url, "0008")
        conn = await asyncpg.connect(url)
        try:
            user = await conn.fetchval("INSERT INTO users (username) VALUES ('kid') RETURNING id")
            await conn.execute("INSERT INTO user_statistics (user_id, facts_by_fluency_level, "
                               "total_mastered_facts) VALUES ($1, '{\"mastered\": 2, \"learning\": 1}', 2)",
                               user)
            session = await conn.fetchval(
                "INSERT INTO practice_sessions (user_id, mode, config, status) VALUES "
                "($1, 'practice', '{}', 'active') RETURNING id", user)
            tracks = {}
            for name_, ops in (("Times", ["×"]), ("Mixed", ["+", "×"])):
                tracks[name_] = await conn.fetchval(
                    "INSERT INTO learning_tracks (name, difficulty, total_questions, operations) "
                    "VALUES ($1, 'easy', 1, $2) RETURNING id", name_, ops)
            rows = {}
            for label, track, created in (("home", tracks["Times"], "2026-01-01"),
                                          ("copy", tracks["Mixed"], "2026-01-02"),
                                          ("free", None, "2026-01-03")):
                rows[label] = await conn.fetchval(
                    "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
                    "category, track_id, sequence_number, created_at) VALUES (7, 8, '×', 56, 'hard', "
                    "'multiplication', $1, 1, $2::text::timestamp) RETURNING id", track, created)
            mixed_section = await conn.fetchval(
                "INSERT INTO track_sections (track_id, name, sequence_number, question_ids) "
                "VALUES ($1, 'Tricky', 1, ARRAY[$2::uuid]) RETURNING id", tracks["Mixed"], rows["copy"])
            await conn.execute(
                "UPDATE practice_sessions SET config = $2::jsonb WHERE id = $1", session,
                json.dumps({"placement": [{"question_id": str(rows["copy"])}],
                            "last_question_id": str(rows["free"])}))
            # (total, correct, total ms, best ms, last answer, streak, next review, interval, ease)
            standing = {"home": (4, 4, 6000, 1000, "2026-02-01 10:00", 4, "2026-03-01", 20, "2.60"),
                        "copy": (2, 1, 9000, 3000, "2026-02-05 10:00", 0, "2026-02-06", 1, "2.18"),
                        "free": (3, 3, 4500, 900, "2026-02-03 10:00", 3, "2026-02-20", 15, "2.70")}
            for label, (total, correct, ms, best, last, streak, review, interval, ease) in standing.items():
                attempts = [{"is_correct": True, "response_time": 1000,
                             "timestamp": f"2026-02-0{i}T10:00:00.{label}"} for i in range(1, 4)]
                await conn.execute(
                    "INSERT INTO question_progress (question_id, user_id, total_attempts, "
                    "correct_attempts, incorrect_attempts, total_response_time, average_response_time, "
                    "best_response_time, last_response_time, first_attempt_date, last_attempt_date, "
                    "current_streak, best_streak, recent_attempts, next_review_date, review_interval, "
                    "ease_factor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, '2026-01-10', "
                    "$9::text::timestamp, $10, $10, $11::jsonb, $12::text::date, $13, $14::numeric)",
                    rows[label], user, total, correct, total - correct, ms, ms // total, best, last,
                    streak, json.dumps(attempts), review, interval, ease)
                await conn.execute(
                    "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
                    "is_correct, correct_answer, response_time, input_method, attempt_number, "
                    "attempt_id) VALUES ($1, $2, $3, 56, true, 56, 1000, 'keyboard', 1, $4)",
                    rows[label], user, session, uuid.uuid4())
        finally:
            await conn.close()
        await migrate_async(url)
        conn = await asyncpg.connect(url)
        try:
            left = [r["id"] for r in await conn.fetch("SELECT id FROM questions")]
            merged = dict(await conn.fetchrow("SELECT * FROM question_progress"))
            attempts = {r["question_id"] for r in await conn.fetch("SELECT question_id FROM answer_attempts")}
            section = await conn.fetchval("SELECT question_ids FROM track_sections WHERE id = $1",
                                          mixed_section)
            config = json.loads(await conn.fetchval("SELECT config FROM practice_sessions"))
            levels = json.loads(await conn.fetchval("SELECT facts_by_fluency_level FROM user_statistics"))
            held = [r["question_id"] for r in await conn.fetch(
                "SELECT question_id FROM track_facts WHERE track_id = $1", tracks["Mixed"])]
        finally:
            await conn.close()
    finally:
        await databases.drop_database(postgres_server_url, name)
    home = rows["home"]
    assert left == [home] and attempts == {home} and section == [home] and held == [home]
    assert config == {"placement": [{"question_id": str(home)}], "last_question_id": str(home)}
    assert (merged["question_id"], merged["total_attempts"], merged["correct_attempts"],
            merged["incorrect_attempts"], merged["total_response_time"]) == (home, 9, 8, 1, 19500)
    assert merged["average_response_time"] == 2167 and merged["best_response_time"] == 900
    # "Now" comes from the row answered last (the copy, on 5 February): a miss, due the next day.
    assert (merged["last_attempt_date"], merged["current_streak"], merged["next_review_date"],
            merged["review_interval"], merged["ease_factor"]) == (
        dt.datetime(2026, 2, 5, 10), 0, dt.date(2026, 2, 6), 1, Decimal("2.18"))
    recent = json.loads(merged["recent_attempts"])
    assert merged["best_streak"] == 4 and [a["timestamp"][-4:] for a in recent] == [
        "free", "home", "copy", "free", "home"]  # the latest five of all three, oldest first
    # The mastery trigger judged the merged totals: 8 of 9 right (0.89), 2.2 s on average.
    assert merged["mastery"] == Decimal("0.60") and merged["fluency_level"] == "fluency_6s"
    assert levels == {"not_started": 0, "learning": 0, "accuracy": 0, "fluency_6s": 1,
                      "fluency_3s_2s": 0, "mastered": 0}
