"""What a finished (or running) room leaves for its teacher: players, questions, attempts.

Everything comes from PostgreSQL (answer_attempts of the room's players' sessions), never from
Redis, so a report is right even after Redis lost the live leaderboard.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text

from persistence.database import Database
from persistence.room_store import TEAM_ROWS
from rooms.ports import TeamQuestionRow


@dataclass(frozen=True)
class PlayerLine:
    rank: int
    player_id: uuid.UUID
    nickname: str
    join_order: int
    score: int
    correct: int
    answered: int
    total_response_time_ms: int
    average_response_time_ms: int | None
    kicked: bool
    team: str | None  # the team's name in team mode


# A question row of a room with personal rounds: each student answered their own fact, so the
# row names the round and aggregates every student's answer; the attempts say which fact.
PERSONAL_ROUND = "Personal round"


@dataclass(frozen=True)
class QuestionLine:
    index: int
    question_id: uuid.UUID | None  # None for a personal round
    prompt: str
    correct_answer: Decimal | None  # None for a personal round
    answered: int
    correct: int
    percent_correct: float | None
    average_response_time_ms: int | None


@dataclass(frozen=True)
class AttemptLine:
    attempt_id: uuid.UUID
    player_id: uuid.UUID
    nickname: str
    question_index: int | None
    prompt: str
    raw_input: str | None
    answer: Decimal
    correct_answer: Decimal
    is_correct: bool
    response_time_ms: int
    points: int
    input_method: str
    answered_at: dt.datetime | None


@dataclass(frozen=True)
class RoomReport:
    players: list[PlayerLine]
    questions: list[QuestionLine]
    attempts: list[AttemptLine]
    team_names: list[str]  # team mode: by index; empty without teams
    team_rows: list[TeamQuestionRow]  # what each team did at each closed question


def prompt_text(operand1: int, operation: str, operand2: int,
                operation2: str | None = None, operand3: int | None = None) -> str:
    """The display text of a fact, as the wire shows it: "7 × 8", "2 + 3 + 4"."""
    text_ = f"{operand1} {operation} {operand2}"
    if operation2 and operand3 is not None:
        text_ += f" {operation2} {operand3}"
    return text_


# Ranks follow the contract: score descending, then total response time ascending, then join
# order; except that players with no points share the place after everyone who scored, as on
# the live boards (rooms/leaderboard.py).
_PLAYERS = text("""
SELECT p.id, p.nickname, p.join_order, p.kicked_at IS NOT NULL AS kicked, t.name AS team,
       COALESCE(sum(a.points), 0)::int AS score,
       count(a.id) FILTER (WHERE a.is_correct)::int AS correct,
       count(a.id)::int AS answered,
       COALESCE(sum(a.response_time), 0)::bigint AS total_response_time,
       round(avg(a.response_time))::int AS average_response_time
FROM room_players p
LEFT JOIN room_teams t ON t.room_id = p.room_id AND t.team_index = p.team_index
LEFT JOIN answer_attempts a ON a.session_id = p.session_id
WHERE p.room_id = :room
GROUP BY p.id, t.name
ORDER BY score DESC, total_response_time ASC, p.join_order ASC
""")

_QUESTIONS = text("""
SELECT rq.question_index, q.id, q.operand1, q.operation, q.operand2, q.operation2, q.operand3,
       q.correct_answer, r.personal_rounds,
       count(a.id)::int AS answered,
       count(a.id) FILTER (WHERE a.is_correct)::int AS correct,
       round(avg(a.response_time))::int AS average_response_time
FROM room_questions rq
JOIN rooms r ON r.id = rq.room_id
JOIN questions q ON q.id = rq.question_id
LEFT JOIN (answer_attempts a JOIN room_players p ON p.session_id = a.session_id)
       ON p.room_id = rq.room_id AND a.question_index = rq.question_index
WHERE rq.room_id = :room
GROUP BY rq.question_index, q.id, r.personal_rounds
ORDER BY rq.question_index
""")

_ATTEMPTS = text("""
SELECT a.attempt_id, p.id AS player_id, p.nickname, a.question_index,
       q.operand1, q.operation, q.operand2, q.operation2, q.operand3,
       a.raw_input, a.user_answer, a.correct_answer, a.is_correct, a.response_time,
       COALESCE(a.points, 0) AS points, a.input_method, a.timestamp
FROM room_players p
JOIN answer_attempts a ON a.session_id = p.session_id
JOIN questions q ON q.id = a.question_id
WHERE p.room_id = :room
ORDER BY a.question_index NULLS LAST, a.timestamp, p.join_order
""")


async def room_report(db: Database, room_id: uuid.UUID) -> RoomReport:
    # One snapshot for all three parts, so they agree with each other.
    async with db.engine.connect() as conn, conn.begin():
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        players = (await conn.execute(_PLAYERS, {"room": room_id})).all()
        questions = (await conn.execute(_QUESTIONS, {"room": room_id})).all()
        attempts = (await conn.execute(_ATTEMPTS, {"room": room_id})).all()
        team_names = list((await conn.execute(text(
            "SELECT name FROM room_teams WHERE room_id = :room ORDER BY team_index"),
            {"room": room_id})).scalars())
        team_rows = (await conn.execute(TEAM_ROWS, {"r": room_id})).all() if team_names else []
    scorers = sum(1 for r in players if r.score > 0)
    return RoomReport(
        players=[PlayerLine(
            rank=min(rank, scorers + 1), player_id=r.id, nickname=r.nickname,
            join_order=r.join_order, score=r.score, correct=r.correct, answered=r.answered,
            total_response_time_ms=r.total_response_time,
            average_response_time_ms=r.average_response_time, kicked=r.kicked, team=r.team)
            for rank, r in enumerate(players, start=1)],
        questions=[QuestionLine(
            index=r.question_index, question_id=None if r.personal_rounds else r.id,
            prompt=PERSONAL_ROUND if r.personal_rounds else prompt_text(
                r.operand1, r.operation, r.operand2, r.operation2, r.operand3),
            correct_answer=None if r.personal_rounds else r.correct_answer,
            answered=r.answered, correct=r.correct,
            percent_correct=round(100 * r.correct / r.answered, 1) if r.answered else None,
            average_response_time_ms=r.average_response_time)
            for r in questions],
        # Positional unpacking: a large room has tens of thousands of attempts, and this
        # loop runs on the event loop.
        attempts=[AttemptLine(
            attempt_id=attempt_id, player_id=player_id, nickname=nickname, question_index=index,
            prompt=prompt_text(op1, op, op2, op_2, op3), raw_input=raw, answer=answer,
            correct_answer=correct_answer, is_correct=is_correct, response_time_ms=response_time,
            points=points, input_method=input_method, answered_at=answered_at)
            for (attempt_id, player_id, nickname, index, op1, op, op2, op_2, op3, raw, answer,
                 correct_answer, is_correct, response_time, points, input_method, answered_at)
            in attempts],
        team_names=team_names,
        team_rows=[TeamQuestionRow(*r) for r in team_rows],
    )
