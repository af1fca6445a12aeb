"""What every fault test ends with: acked = committed, no attempt stored twice, every ack
equal to its stored row, every aggregate equal to an independent recomputation from
answer_attempts, and the game played to the end."""

from __future__ import annotations

import json
import uuid
from collections import Counter

import asyncpg

from tests.persistence import flow_recompute as rc
from tests.support.fault_game import GameRun


async def check_game_after_fault(database_url: str, room_id: uuid.UUID | str, run: GameRun) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT a.*, p.id AS player_id FROM answer_attempts a JOIN room_players p "
            "ON p.session_id = a.session_id WHERE p.room_id = $1", uuid.UUID(str(room_id)))
        stored = {str(r["attempt_id"]): r for r in rows}
        acked = {r.attempt_id: r for r in run.records if r.ack is not None}
        refused_stored = sorted((r.attempt_id, r.outcome) for r in run.records
                                if r.ack is None and r.attempt_id in stored)
        assert not refused_stored, f"stored but never acknowledged: {refused_stored}"
        assert set(acked) <= set(stored), "acknowledged but not stored"
        assert set(stored) == set(acked), "stored attempts that no student sent"

        per_question = Counter((r["session_id"], r["question_index"]) for r in rows)
        assert max(per_question.values(), default=1) == 1, "a question answered twice"

        for attempt_id, record in acked.items():
            row, ack = stored[attempt_id], record.ack
            assert ack is not None
            assert (ack["points"], ack["is_correct"], ack["response_time_ms"]) == \
                (row["points"], row["is_correct"], row["response_time"]), (attempt_id, ack, dict(row))
            assert str(row["player_id"]) == record.player_id and row["question_index"] == record.index

        scores: Counter[str] = Counter()
        for row in rows:
            scores[str(row["player_id"])] += row["points"] or 0
        for player_id, over in run.game_over.items():
            assert over["you"]["score"] == scores[player_id], (player_id, over, scores[player_id])
        assert [e["score"] for e in run.host_game_over["top"]] == \
            sorted((scores[e["player_id"]] for e in run.host_game_over["top"]), reverse=True)

        room = await conn.fetchrow("SELECT status FROM rooms WHERE id = $1", uuid.UUID(str(room_id)))
        assert room["status"] == "finished"
        unclosed = await conn.fetchval(
            "SELECT count(*) FROM room_questions WHERE room_id = $1 AND closed_at IS NULL",
            uuid.UUID(str(room_id)))
        assert unclosed == 0, "a question was never closed"

        user_ids = await conn.fetch("SELECT user_id FROM room_players WHERE room_id = $1",
                                    uuid.UUID(str(room_id)))
        await check_aggregates(conn, [r["user_id"] for r in user_ids])
    finally:
        await conn.close()


async def check_aggregates(conn: asyncpg.Connection, user_ids: list[uuid.UUID]) -> None:
    """question_progress, user_statistics, daily_practice_summaries and practice_sessions of
    these users equal a recomputation from their stored attempts."""
    r = rc.recompute(await rc.load(conn, user_ids))
    facts = await conn.fetch("SELECT *, recent_attempts::text AS recent FROM question_progress "
                             "WHERE user_id = ANY($1::uuid[])", user_ids)
    want_facts = rc.expected_question_progress(r)
    assert len(facts) == len(want_facts)
    for row in facts:
        want = want_facts[(row["user_id"], row["question_id"])]
        got = {k: row[k] for k in want if k != "recent_attempts"}
        got["recent_attempts"] = json.loads(row["recent"])
        assert got == want, ("question_progress", row["user_id"], row["question_id"])
    stats = await conn.fetch(
        "SELECT *, facts_by_fluency_level::text AS levels, performance_by_operation::text AS ops "
        "FROM user_statistics WHERE user_id = ANY($1::uuid[])", user_ids)
    want_stats = rc.expected_user_statistics(r)
    assert {row["user_id"] for row in stats} >= set(want_stats)
    for row in stats:
        want = want_stats.get(row["user_id"])
        if want is None:   # joined, never stored an answer
            assert not row["total_questions_answered"]
            continue
        got = {k: row[k] for k in want}
        got["facts_by_fluency_level"] = json.loads(row["levels"])
        got["performance_by_operation"] = json.loads(row["ops"])
        got["achievements_unlocked"] = list(row["achievements_unlocked"])
        assert got == want, ("user_statistics", row["user_id"])
    days = await conn.fetch("SELECT *, time_by_mode::text AS modes FROM daily_practice_summaries "
                            "WHERE user_id = ANY($1::uuid[])", user_ids)
    want_days = rc.expected_daily_summaries(r)
    assert len(days) == len(want_days)
    for row in days:
        want = want_days[(row["user_id"], row["date"])]
        got = {k: row[k] for k in want}
        got["time_by_mode"] = json.loads(row["modes"])
        assert got == want, ("daily_practice_summaries", row["user_id"], row["date"])
    sessions = await conn.fetch("SELECT * FROM practice_sessions WHERE user_id = ANY($1::uuid[])",
                                user_ids)
    want_sessions = rc.expected_sessions(r)
    for row in sessions:
        want = want_sessions.get(row["id"])
        if want is None:
            assert row["questions_answered"] == 0
            continue
        got = {k: row[k] for k in want}
        got["new_mastered_facts"] = list(row["new_mastered_facts"] or [])
        assert got == want, ("practice_sessions", row["id"])
