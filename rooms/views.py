"""The wire shapes of the contract, built from a room (keys as in /work/shared/PROTOCOL.md)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from rooms.leaderboard import BoardEntry
from rooms.room import Answer, Phase, Player, Room, RoomQuestion

# What the teacher and the projector see of a personal round: the round, never a fact (each
# student has their own, and showing one would show its answer to everyone else).
PERSONAL_PROMPT = "Personal round"


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def question_payload(room: Room, player: Player | None = None) -> dict | None:
    """The open question (a player's own in a personal round), or None when no question is
    open (or a personal round's facts are still being chosen)."""
    if room.current is None or room.phase != Phase.QUESTION:
        return None
    if not room.config.personal:
        return question_payload_for(room, room.index)
    if player is None:
        return staff_question_payload(room, room.index)
    question = room.question_for(player.player_id)
    return None if question is None else personal_question_payload(room, room.index, question)


def question_payload_for(room: Room, index: int) -> dict:
    record = room.records[index]
    return _fact_payload(room, index, record.question)


def _fact_payload(room: Room, index: int, question: RoomQuestion) -> dict:
    fact = question.fact
    return {"index": index, "total": room.total, "question_id": str(question.question_id),
            "prompt": fact.prompt, "operand1": fact.operand1, "operand2": fact.operand2,
            "operand3": None, "operation": fact.operation, "operation2": None,
            "display_format": "horizontal", "units": None,
            "time_limit_ms": room.config.time_limit_ms,
            "closes_at": room.records[index].closes_at_epoch_ms}


def personal_question_payload(room: Room, index: int, question: RoomQuestion) -> dict:
    """One student's own question of a personal round: the contract's shape, plus `personal`."""
    return {**_fact_payload(room, index, question), "personal": True}


def staff_question_payload(room: Room, index: int) -> dict:
    """A personal round as /host and /screen get it: the round and its timer, no fact."""
    return {"index": index, "total": room.total, "question_id": None, "prompt": PERSONAL_PROMPT,
            "operand1": None, "operand2": None, "operand3": None, "operation": None,
            "operation2": None, "display_format": "horizontal", "units": None,
            "time_limit_ms": room.config.time_limit_ms,
            "closes_at": room.records[index].closes_at_epoch_ms, "personal": True}


def lobby_payload(room: Room) -> dict:
    players = [{"player_id": str(p.player_id), "nickname": p.nickname} for p in room.roster()]
    return {"players": players, "count": len(players), "locked": room.locked}


def answer_ack(answer: Answer, duplicate: bool) -> dict:
    return {"ok": True, "is_correct": answer.is_correct, "correct_answer": number(answer.correct_answer),
            "points": answer.points, "score": answer.score_after, "streak": answer.streak_after,
            "response_time_ms": answer.response_time_ms, "duplicate": duplicate}


def board_top(room: Room, top: list[BoardEntry]) -> list[dict]:
    players = room.players  # ten lookups, not a map of the whole room 4 times a second
    return [{"rank": e.rank, "player_id": str(e.player_id),
             "nickname": p.nickname if (p := players.get(e.player_id)) else "", "score": e.score}
            for e in top]


def you_on_board(player: Player, rank: int | None) -> dict:
    return {"rank": rank, "score": player.score, "streak": player.streak}


def you_at_game_over(player: Player, rank: int | None) -> dict:
    return {"rank": rank, "score": player.score, "correct": player.correct, "answered": player.answered}


def state_payload(room: Room, player: Player | None, rank: int | None) -> dict:
    return {"phase": str(room.phase), "index": room.index if room.records else None,
            "total": room.total, "question": question_payload(room, player),
            "score": player.score if player else None, "streak": player.streak if player else None,
            "rank": rank,
            "answered_current": room.answered_current(player.player_id) if player else None,
            "locked": room.locked}


def joined_payload(room: Room, player: Player, rejoin_token: str) -> dict:
    return {"player_id": str(player.player_id), "nickname": player.nickname,
            "rejoin_token": rejoin_token,
            "room": {"code": room.config.code, "title": room.config.title, "phase": str(room.phase)},
            "score": player.score, "streak": player.streak}


def player_ids(room: Room) -> list[uuid.UUID]:
    return [p.player_id for p in room.roster()]
