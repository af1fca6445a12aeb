"""The live game's record on PostgreSQL: rooms, their players and questions, and the facts
they ask (the tracks' rows, or free-standing ones). Implements rooms.ports.RoomStore.

Everything a room is can be read back from here: Redis only holds what is fast to rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, INTEGER, NUMERIC, UUID, VARCHAR
from sqlalchemy.ext.asyncio import AsyncConnection

from persistence.accounts import student_for_key
from persistence.curriculum.selection import choose_next_facts
from persistence.database import Database, asyncpg_connection
from persistence.guest_batch import GuestBatcher, NewGuest
from rooms.ports import (
    BoardRow,
    ClaimedRoom,
    PersonalFact,
    RoomHistory,
    RoomMoved,
    RosteredStudent,
    StoredAttempt,
    StoredFact,
    StoredPlayer,
    StoredQuestion,
    StoredRoom,
    TeamQuestionRow,
)

_CATEGORY = {"+": "addition", "-": "subtraction", "×": "multiplication", "÷": "division"}

_ROOM_COLUMNS = ("id, teacher_id, code, title, operation, min_operand, max_operand, track_id, "
                 "question_count, time_limit_ms, auto_advance_ms, screen_key, status, personal_rounds, "
                 "ARRAY(SELECT t.name FROM room_teams t WHERE t.room_id = rooms.id ORDER BY t.team_index), "
                 "class_id, scoring_mode")
_TEAM_NAMES = 14  # the place of the team names in _ROOM_COLUMNS
# A player, with the accommodations their teacher set (student_settings; no row: the defaults,
# and a NULL multiplier in a row is "untimed").
_PLAYERS = ("SELECT p.id, p.user_id, p.session_id, p.nickname, p.join_order, p.kicked_at IS NOT NULL, "
            "p.team_index, p.first_question, "
            "CASE WHEN s.user_id IS NULL THEN 1.0 ELSE s.time_multiplier END, "
            "COALESCE(s.accuracy_scoring, false) "
            "FROM room_players p LEFT JOIN student_settings s ON s.user_id = p.user_id ")

# Per team and closed question: its players who count (not kicked, joined by that question),
# their points and right answers there. A team's points are derived, never stored (rooms/teams.py).
TEAM_ROWS = text("""
SELECT p.team_index, q.question_index, count(*)::int,
       COALESCE(sum(a.points), 0)::int, (count(a.id) FILTER (WHERE a.is_correct))::int
FROM room_questions q
JOIN room_players p ON p.room_id = q.room_id AND p.first_question <= q.question_index
LEFT JOIN answer_attempts a ON a.session_id = p.session_id AND a.question_index = q.question_index
WHERE q.room_id = :r AND q.closed_at IS NOT NULL AND p.kicked_at IS NULL AND p.team_index IS NOT NULL
GROUP BY p.team_index, q.question_index
ORDER BY q.question_index, p.team_index
""")


def _stored_room(row: Sequence[Any]) -> StoredRoom:
    fields = list(row)
    fields[_TEAM_NAMES] = tuple(fields[_TEAM_NAMES])  # the team names come as a list
    return StoredRoom(*fields)

# One fact is one question row (docs/curriculum.md): a range game asks the row a learning track
# already has for its fact (7 × 8 of the multiplication track), so everything a student plays
# shows on their grid and counts toward their track. Only a fact no row holds yet (13 × 14) gets
# a free-standing row, unique by idx_free_fact.
_INSERT_FACTS = text(
    "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
    "category, sequence_number) "
    "SELECT a, b, op, ans, 'live', cat, 0 FROM unnest(:a, :b, :op, :ans, :cat) AS t(a, b, op, ans, cat) "
    "WHERE NOT EXISTS (SELECT 1 FROM questions q WHERE q.operand1 = t.a AND q.operand2 = t.b "
    "AND q.operation = t.op AND q.operand3 IS NULL) "
    "ON CONFLICT (operand1, operand2, operation) WHERE track_id IS NULL AND operand3 IS NULL "
    "DO NOTHING").bindparams(
    bindparam("a", type_=ARRAY(INTEGER)), bindparam("b", type_=ARRAY(INTEGER)),
    bindparam("op", type_=ARRAY(VARCHAR)), bindparam("ans", type_=ARRAY(NUMERIC)),
    bindparam("cat", type_=ARRAY(VARCHAR)))
# The row of each fact: a one-operation track's (the seed keeps exactly one per fact, and
# merge_duplicate_facts() folds any other into it), else the free-standing one.
_SELECT_FACTS = text(
    "SELECT DISTINCT ON (q.operand1, q.operand2, q.operation) q.id, q.operand1, q.operand2, "
    "q.operation FROM questions q "
    "JOIN unnest(:a, :b, :op) AS t(a, b, op) "
    "ON q.operand1 = t.a AND q.operand2 = t.b AND q.operation = t.op "
    "LEFT JOIN learning_tracks lt ON lt.id = q.track_id "
    "WHERE q.operand3 IS NULL AND (q.track_id IS NULL OR cardinality(lt.operations) = 1) "
    "ORDER BY q.operand1, q.operand2, q.operation, (q.track_id IS NULL), q.created_at, q.id").bindparams(
    bindparam("a", type_=ARRAY(INTEGER)), bindparam("b", type_=ARRAY(INTEGER)),
    bindparam("op", type_=ARRAY(VARCHAR)))


async def _fence(conn: AsyncConnection, room_id: uuid.UUID, epoch: int) -> None:
    """The room's write fence: its row locked FOR SHARE (a claim, an UPDATE of owner_epoch,
    waits for this transaction), then RoomMoved unless `epoch` is still the room's."""
    current = await conn.scalar(text("SELECT owner_epoch FROM rooms WHERE id = :r FOR SHARE"),
                                {"r": room_id})
    if current != epoch:
        raise RoomMoved(room_id)


# A question's marks, fenced as `_fence` in one statement ($1 room, $2 epoch): the updates
# run only when the epoch is the room's, and the statement returns the room's epoch. Opening
# question $3 also closes earlier ones whose close mark failed (`_close_earlier_questions`);
# the two updates touch different rows.
_QUESTION_OPENED = """
WITH fence AS (
    SELECT owner_epoch FROM rooms WHERE id = $1 FOR SHARE
), opened AS (
    UPDATE room_questions SET opened_at = $4, closes_at = $5
    WHERE room_id = $1 AND question_index = $3
      AND EXISTS (SELECT 1 FROM fence WHERE owner_epoch = $2)
    RETURNING 1
), earlier AS (
    UPDATE room_questions SET closed_at = LEAST($4, closes_at)
    WHERE room_id = $1 AND opened_at IS NOT NULL AND closed_at IS NULL AND question_index < $3
      AND EXISTS (SELECT 1 FROM fence WHERE owner_epoch = $2)
    RETURNING 1
)
SELECT owner_epoch FROM fence
"""
_QUESTION_CLOSED = """
WITH fence AS (
    SELECT owner_epoch FROM rooms WHERE id = $1 FOR SHARE
), closed AS (
    UPDATE room_questions SET closed_at = $4
    WHERE room_id = $1 AND question_index = $3 AND closed_at IS NULL
      AND EXISTS (SELECT 1 FROM fence WHERE owner_epoch = $2)
    RETURNING 1
)
SELECT owner_epoch FROM fence
"""


class PostgresRoomStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._guests = GuestBatcher(db)

    # --- owning a room ---------------------------------------------------------------------

    async def claim(self, room_id: uuid.UUID, worker: str) -> ClaimedRoom | None:
        async with self._db.engine.begin() as conn:
            row = (await conn.execute(text(
                f"UPDATE rooms SET owner_epoch = owner_epoch + 1, owner_worker = :w WHERE id = :id "
                f"RETURNING {_ROOM_COLUMNS}, owner_epoch"), {"id": room_id, "w": worker[:64]})).first()
        return ClaimedRoom(_stored_room(row[:-1]), row[-1]) if row else None

    # --- finding rooms and students --------------------------------------------------------

    async def room_by_id(self, room_id: uuid.UUID) -> StoredRoom | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(text(f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE id = :id"),
                                      {"id": room_id})).first()
        return _stored_room(row) if row else None

    async def open_room_by_code(self, code: str) -> StoredRoom | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(text(
                f"SELECT {_ROOM_COLUMNS} FROM rooms WHERE code = :code AND status <> 'finished'"),
                {"code": code})).first()
        return _stored_room(row) if row else None

    async def finished_since(self, code: str, since: dt.datetime) -> bool:
        async with self._db.engine.connect() as conn:
            return bool(await conn.scalar(text(
                "SELECT 1 FROM rooms WHERE code = :code AND status = 'finished' AND finished_at > :since "
                "LIMIT 1"), {"code": code, "since": since}))

    async def student_for_key(self, student_key: str) -> RosteredStudent | None:
        student = await student_for_key(self._db, student_key)
        if student is None:
            return None
        return RosteredStudent(student.user_id, student.teacher_id, student.display_name)

    # --- rebuilding a room -----------------------------------------------------------------

    async def history(self, room_id: uuid.UUID) -> RoomHistory:
        params = {"r": room_id}
        async with self._db.engine.connect() as conn:
            players = (await conn.execute(text(
                _PLAYERS + "WHERE p.room_id = :r ORDER BY p.join_order"), params)).all()
            questions = (await conn.execute(text(
                "SELECT rq.question_index, q.id, q.operand1, q.operand2, q.operation, q.correct_answer, "
                "rq.opened_at, rq.closes_at, rq.closed_at FROM room_questions rq "
                "JOIN questions q ON q.id = rq.question_id WHERE rq.room_id = :r "
                "ORDER BY rq.question_index"), params)).all()
            personal = (await conn.execute(text(
                "SELECT pq.question_index, pq.player_id, q.id, q.operand1, q.operand2, q.operation, "
                "q.correct_answer FROM room_personal_questions pq "
                "JOIN questions q ON q.id = pq.question_id WHERE pq.room_id = :r"), params)).all()
            attempts = (await conn.execute(text(
                "SELECT a.attempt_id, a.session_id, a.question_index, a.question_id, a.raw_input, "
                "a.user_answer, a.is_correct, a.correct_answer, a.response_time, "
                "COALESCE(a.points, 0), a.input_method "
                "FROM answer_attempts a JOIN room_players p ON p.session_id = a.session_id "
                "WHERE p.room_id = :r AND a.question_index IS NOT NULL "
                "ORDER BY a.question_index, a.timestamp"), params)).all()
        return RoomHistory(
            players=[StoredPlayer(*r) for r in players],
            questions=[StoredQuestion(r[0], StoredFact(*r[1:6]), r[6], r[7], r[8]) for r in questions],
            personal=[PersonalFact(r[0], r[1], StoredFact(*r[2:7])) for r in personal],
            attempts=[StoredAttempt(*r) for r in attempts])

    async def board_rows(self, room_id: uuid.UUID) -> list[BoardRow]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT p.id, p.join_order, COALESCE(SUM(a.points), 0)::int, "
                "COALESCE(SUM(a.response_time), 0)::int, "
                "array_remove(array_agg(a.attempt_id), NULL) FROM room_players p "
                "LEFT JOIN answer_attempts a ON a.session_id = p.session_id "
                "AND a.question_index IS NOT NULL "
                "WHERE p.room_id = :r AND p.kicked_at IS NULL GROUP BY p.id, p.join_order"),
                {"r": room_id})).all()
        return [BoardRow(r[0], r[1], r[2], r[3], frozenset(r[4])) for r in rows]

    async def team_rows(self, room_id: uuid.UUID) -> list[TeamQuestionRow]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(TEAM_ROWS, {"r": room_id})).all()
        return [TeamQuestionRow(*r) for r in rows]

    # --- facts -----------------------------------------------------------------------------

    async def track_facts(self, track_id: uuid.UUID, operation: str) -> list[StoredFact]:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer "
                "FROM track_facts tf JOIN questions q ON q.id = tf.question_id "
                "WHERE tf.track_id = :t AND q.operand3 IS NULL ORDER BY tf.position"),
                {"t": track_id})).all()
        facts = [StoredFact(*r) for r in rows]
        return [f for f in facts if f.operation == operation] or facts

    async def find_or_create_facts(self, facts: Sequence[tuple[int, int, str, Decimal]]) -> list[uuid.UUID]:
        # Race-free across workers: ON CONFLICT on idx_free_fact waits for a concurrent insert
        # of the same free fact, and the SELECT after it (a new snapshot) sees that row.
        distinct = sorted(set(facts))
        params = {"a": [f[0] for f in distinct], "b": [f[1] for f in distinct],
                  "op": [f[2] for f in distinct], "ans": [f[3] for f in distinct],
                  "cat": [_CATEGORY[f[2]] for f in distinct]}
        async with self._db.engine.begin() as conn:
            await conn.execute(_INSERT_FACTS, params)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(_SELECT_FACTS, {k: params[k] for k in ("a", "b", "op")})).all()
        ids = {(r[1], r[2], r[3]): r[0] for r in rows}
        return [ids[(f[0], f[1], f[2])] for f in facts]

    async def choose_personal_facts(self, track_id: uuid.UUID,
                                    students: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
                                    today: dt.date, operation: str | None) -> dict[uuid.UUID, StoredFact]:
        chosen = await choose_next_facts(self._db, track_id, list(students), today, live_only=True,
                                         operation=operation)
        return {user_id: StoredFact(f.question_id, f.operand1, f.operand2, f.operation, f.correct_answer)
                for user_id, f in chosen.items()}

    # --- a room's writes -------------------------------------------------------------------

    async def create_player(self, room: StoredRoom, nickname: str, join_order: int,
                            user_id: uuid.UUID | None, *, epoch: int, team: int | None = None,
                            first_question: int = 0) -> StoredPlayer:
        config = {"room_id": str(room.room_id), "code": room.code, "operation": room.operation,
                  "question_count": room.question_count, "time_limit_ms": room.time_limit_ms}
        if user_id is None:
            return await self._create_guest(room, nickname, join_order, config, epoch=epoch,
                                            team=team, first_question=first_question)
        async with self._db.engine.begin() as conn:
            await _fence(conn, room.room_id, epoch)
            existing = (await conn.execute(text(
                _PLAYERS + "WHERE p.room_id = :r AND p.user_id = :u"),
                {"r": room.room_id, "u": user_id})).first()
            if existing is not None:
                return StoredPlayer(*existing)
            session_id = await conn.scalar(text(
                "INSERT INTO practice_sessions (user_id, mode, config, total_questions) "
                "VALUES (:u, 'live', CAST(:c AS jsonb), :n) RETURNING id"),
                {"u": user_id, "c": json.dumps(config), "n": room.question_count})
            player_id = await conn.scalar(text(
                "INSERT INTO room_players (room_id, user_id, session_id, nickname, join_order, "
                "team_index, first_question) VALUES (:r, :u, :s, :n, :j, :team, :first) RETURNING id"),
                {"r": room.room_id, "u": user_id, "s": session_id, "n": nickname, "j": join_order,
                 "team": team, "first": first_question})
            row = (await conn.execute(text(_PLAYERS + "WHERE p.id = :p"), {"p": player_id})).one()
        return StoredPlayer(*row)

    async def _create_guest(self, room: StoredRoom, nickname: str, join_order: int,
                            config: dict[str, Any], *, epoch: int, team: int | None,
                            first_question: int) -> StoredPlayer:
        """A guest's user, live session and player, in one statement with the other guests
        joining at the same moment (persistence/guest_batch.py): all three rows or none."""
        stored = await self._guests.insert(NewGuest(
            room.room_id, epoch, f"guest-{secrets.token_hex(12)}", json.dumps(config),
            room.question_count, nickname, join_order, team, first_question))
        if stored is None:  # the fence: another worker owns the room
            raise RoomMoved(room.room_id)
        # A guest is new: no student_settings row, so the default accommodation.
        return StoredPlayer(stored.player_id, stored.user_id, stored.session_id, nickname,
                            join_order, False, team, first_question, Decimal("1.0"), False)

    async def kick_player(self, room_id: uuid.UUID, player_id: uuid.UUID, at: dt.datetime, *,
                          epoch: int) -> None:
        async with self._db.engine.begin() as conn:
            await _fence(conn, room_id, epoch)
            await conn.execute(text(
                "UPDATE room_players SET kicked_at = :at "
                "WHERE id = :id AND room_id = :r AND kicked_at IS NULL"),
                {"id": player_id, "r": room_id, "at": at})

    async def move_player(self, room_id: uuid.UUID, player_id: uuid.UUID, team: int, *,
                          epoch: int) -> None:
        async with self._db.engine.begin() as conn:
            await _fence(conn, room_id, epoch)
            await conn.execute(text(
                "UPDATE room_players SET team_index = :t WHERE id = :id AND room_id = :r"),
                {"id": player_id, "r": room_id, "t": team})

    async def record_game_start(self, room_id: uuid.UUID, question_ids: Sequence[uuid.UUID],
                                at: dt.datetime, *, epoch: int) -> bool:
        async with self._db.engine.begin() as conn:
            await _fence(conn, room_id, epoch)
            started = await conn.scalar(text(
                "UPDATE rooms SET status = 'playing', started_at = :at "
                "WHERE id = :id AND status = 'lobby' RETURNING id"), {"id": room_id, "at": at})
            if started is None:
                return False
            await conn.execute(text(
                "INSERT INTO room_questions (room_id, question_index, question_id) "
                "SELECT :room, i - 1, q FROM unnest(:qs) WITH ORDINALITY AS t(q, i)").bindparams(
                bindparam("qs", type_=ARRAY(UUID(as_uuid=True)))),
                {"room": room_id, "qs": list(question_ids)})
        return True

    async def record_personal_questions(self, room_id: uuid.UUID, index: int,
                                        chosen: Mapping[uuid.UUID, uuid.UUID], *, epoch: int) -> None:
        if not chosen:
            return
        async with self._db.engine.begin() as conn:
            await _fence(conn, room_id, epoch)
            await conn.execute(text(
                "INSERT INTO room_personal_questions (room_id, question_index, player_id, question_id) "
                "SELECT :room, :index, p, q FROM unnest(:players, :questions) AS t(p, q) "
                "ON CONFLICT DO NOTHING").bindparams(
                bindparam("players", type_=ARRAY(UUID(as_uuid=True))),
                bindparam("questions", type_=ARRAY(UUID(as_uuid=True)))),
                {"room": room_id, "index": index, "players": list(chosen),
                 "questions": list(chosen.values())})

    async def mark_question_opened(self, room_id: uuid.UUID, index: int, opened_at: dt.datetime,
                                   closes_at: dt.datetime, *, epoch: int) -> None:
        await self._fenced(_QUESTION_OPENED, room_id, epoch, index, opened_at, closes_at)

    async def mark_question_closed(self, room_id: uuid.UUID, index: int, at: dt.datetime, *,
                                   epoch: int) -> None:
        await self._fenced(_QUESTION_CLOSED, room_id, epoch, index, at)

    async def _fenced(self, statement: str, room_id: uuid.UUID, epoch: int, *args: object) -> None:
        """One fenced statement (its $1 the room, $2 the epoch; it returns the room's
        owner_epoch): a hundred rooms opening and closing questions pay one round trip for
        each instead of four (BEGIN, the fence, the update, COMMIT)."""
        async with self._db.engine.connect() as connection:
            driver = await asyncpg_connection(connection)
            current = await driver.fetchval(statement, room_id, epoch, *args)
        if current != epoch:
            raise RoomMoved(room_id)

    async def finish_game(self, room_id: uuid.UUID, at: dt.datetime, *, epoch: int) -> None:
        async with self._db.engine.begin() as conn:
            await _fence(conn, room_id, epoch)
            await conn.execute(text(
                "UPDATE rooms SET status = 'finished', finished_at = :at "
                "WHERE id = :id AND status <> 'finished'"), {"id": room_id, "at": at})
            await conn.execute(text(
                "UPDATE practice_sessions s SET status = 'completed', end_time = :at "
                "FROM room_players p WHERE p.room_id = :id AND s.id = p.session_id "
                "AND s.status = 'active'"), {"id": room_id, "at": at})
            await _close_earlier_questions(conn, room_id, None, at)


async def _close_earlier_questions(conn: AsyncConnection, room_id: uuid.UUID, before: int | None,
                                   at: dt.datetime) -> None:
    """A question's close mark may have failed (PostgreSQL out of reach as it closed): the
    next question's opening, or the game's end, writes it. It closed by its deadline."""
    await conn.execute(text(
        "UPDATE room_questions SET closed_at = LEAST(:at, closes_at) "
        "WHERE room_id = :r AND opened_at IS NOT NULL AND closed_at IS NULL "
        "AND (CAST(:before AS integer) IS NULL OR question_index < :before)"),
        {"at": at, "r": room_id, "before": before})
