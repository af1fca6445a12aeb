"""The wire shapes of the contract, built from a room (keys as docs/protocol.md names them)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from rooms.leaderboard import BoardEntry
from rooms.room import Answer, Phase, Player, Room, RoomQuestion
from rooms.teams import TeamStanding, shared_ranks

# What the teacher and the projector see of a personal round: the round, never a fact (each
# student has their own, and showing one would show its answer to everyone else).
PERSONAL_PROMPT = "Personal round"


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def question_payload(room: Room, player: Player | None = None) -> dict[str, Any] | None:
    """The open question (a player's own in a personal round), or None when no question is
    open (or a personal round's facts are still being chosen)."""
    if room.current is None or room.phase != Phase.QUESTION:
        return None
    if not room.config.personal:
        return {**question_payload_for(room, room.index), **your_time(room, room.index, player)}
    if player is None:
        return staff_question_payload(room, room.index)
    question = room.question_for(player.player_id)
    return None if question is None else personal_question_payload(room, room.index, question, player)


def question_payload_for(room: Room, index: int) -> dict[str, Any]:
    record = room.records[index]
    return _fact_payload(room, index, record.question)


def _fact_payload(room: Room, index: int, question: RoomQuestion) -> dict[str, Any]:
    fact = question.fact
    return {"index": index, "total": room.total, "question_id": str(question.question_id),
            "prompt": fact.prompt, "operand1": fact.operand1, "operand2": fact.operand2,
            "operand3": None, "operation": fact.operation, "operation2": None,
            "display_format": "horizontal", "units": None,
            "time_limit_ms": room.config.time_limit_ms,
            "closes_at": room.records[index].closes_at_epoch_ms}


def your_time(room: Room, index: int, player: Player | None) -> dict[str, Any]:
    """A student with more time than the class (an accommodation): their own limit and
    deadline, `null` when untimed (*Addition* `your_time_limit_ms`, `your_closes_at`). The
    contract's `time_limit_ms` and `closes_at` stay the class's. Nothing for anyone else."""
    if player is None or player.accommodation.time_multiplier == 1:
        return {}
    return {"your_time_limit_ms": room.time_limit_for(player),
            "your_closes_at": room.closes_at_epoch_for(player, index)}


def deadline_payload(room: Room, index: int, player: Player) -> dict[str, Any]:
    """*Addition* `deadline`: sent to a student with more time right after a shared round's
    `question` (which is one broadcast, the class's time)."""
    return {"index": index, **your_time(room, index, player)}


def personal_question_payload(room: Room, index: int, question: RoomQuestion,
                              player: Player | None = None) -> dict[str, Any]:
    """One student's own question of a personal round: the contract's shape, plus `personal`
    (and their own time, with an accommodation)."""
    return {**_fact_payload(room, index, question), "personal": True,
            **your_time(room, index, player)}


def staff_question_payload(room: Room, index: int) -> dict[str, Any]:
    """A personal round as /host and /screen get it: the round and its timer, no fact."""
    return {"index": index, "total": room.total, "question_id": None, "prompt": PERSONAL_PROMPT,
            "operand1": None, "operand2": None, "operand3": None, "operation": None,
            "operation2": None, "display_format": "horizontal", "units": None,
            "time_limit_ms": room.config.time_limit_ms,
            "closes_at": room.records[index].closes_at_epoch_ms, "personal": True}


def lobby_payload(room: Room) -> dict[str, Any]:
    roster = room.roster()
    teams = room.config.teams
    if not teams:
        alone = [{"player_id": str(p.player_id), "nickname": p.nickname} for p in roster]
        return {"players": alone, "count": len(alone), "locked": room.locked}
    players = [{"player_id": str(p.player_id), "nickname": p.nickname, "team": p.team} for p in roster]
    sizes = [0] * len(teams)
    for p in roster:
        if p.team is not None:
            sizes[p.team] += 1
    return {"players": players, "count": len(players), "locked": room.locked,
            "teams": [{"team": i, "name": name, "count": sizes[i]} for i, name in enumerate(teams)]}


def team_of(room: Room, player: Player) -> dict[str, Any] | None:
    """The player's team as the wire names it, or None outside team mode."""
    if player.team is None or not room.config.teams:
        return None
    return {"team": player.team, "name": room.config.teams[player.team]}


def team_board(room: Room, board: list[tuple[int, int]],
               standings: list[TeamStanding]) -> list[dict[str, Any]]:
    """Every team, most points first (equal points share a rank): its total, streak, points
    at the last closed question, and how many players it has now."""
    names = room.config.teams
    scores = {team: 0 for team in range(len(names))}  # a team nobody scored for yet: 0
    scores.update((team, score) for team, score in board if team < len(names))
    ranks = shared_ranks(scores)
    by_team = {s.team: s for s in standings}
    sizes = [0] * len(names)
    for p in room.roster():
        if p.team is not None:
            sizes[p.team] += 1
    return [{"rank": ranks[team], "team": team, "name": names[team], "score": scores[team],
             "streak": by_team[team].streak if team in by_team else 0,
             "points": by_team[team].points if team in by_team else 0, "players": sizes[team]}
            for team in sorted(scores, key=lambda t: (-scores[t], t))]


def you_in_team(team: dict[str, Any], contribution: int | None) -> dict[str, Any]:
    """A student's own team line: their team's standing, and what their own answer added to
    its points at the question that has just closed."""
    return {"team": team["team"], "name": team["name"], "rank": team["rank"], "score": team["score"],
            "streak": team["streak"], "points": team["points"], "contribution": contribution}


def answer_ack(answer: Answer, duplicate: bool) -> dict[str, Any]:
    return {"ok": True, "is_correct": answer.is_correct, "correct_answer": number(answer.correct_answer),
            "points": answer.points, "score": answer.score_after, "streak": answer.streak_after,
            "response_time_ms": answer.response_time_ms, "duplicate": duplicate}


def board_top(room: Room, top: list[BoardEntry]) -> list[dict[str, Any]]:
    players = room.players  # ten lookups, not a map of the whole room 4 times a second
    return [{"rank": e.rank, "player_id": str(e.player_id),
             "nickname": p.nickname if (p := players.get(e.player_id)) else "", "score": e.score}
            for e in top]


def you_on_board(player: Player, rank: int | None) -> dict[str, Any]:
    return {"rank": rank, "score": player.score, "streak": player.streak}


def you_at_game_over(player: Player, rank: int | None) -> dict[str, Any]:
    return {"rank": rank, "score": player.score, "correct": player.correct, "answered": player.answered}


def state_payload(room: Room, player: Player | None, rank: int | None) -> dict[str, Any]:
    return {"phase": str(room.phase), "index": room.index if room.records else None,
            "total": room.total, "question": question_payload(room, player),
            "score": player.score if player else None, "streak": player.streak if player else None,
            "rank": rank,
            "answered_current": room.answered_current(player.player_id) if player else None,
            "locked": room.locked, "count": room.seated, "title": room.config.title,
            "asked": len(room.records),
            "your_answer": your_answer(room, player) if player else None,
            "team": team_of(room, player) if player else None}


def your_answer(room: Room, player: Player) -> dict[str, Any] | None:
    """The player's answer to the open question, or to the one that has just closed, so a
    page reloaded after answering still shows how it went. Only ever their own answer,
    which their ack already told them."""
    record = room.current
    if record is None or room.phase == Phase.FINISHED:
        return None
    answer = record.answers.get(player.player_id)
    if answer is None:
        return None
    question = room.question_for(player.player_id)
    return {"index": answer.index, "is_correct": answer.is_correct, "points": answer.points,
            "correct_answer": number(answer.correct_answer), "answer": answer.raw_input,
            "prompt": question.fact.prompt if question else None}


def joined_payload(room: Room, player: Player, rejoin_token: str) -> dict[str, Any]:
    return {"player_id": str(player.player_id), "nickname": player.nickname,
            "rejoin_token": rejoin_token,
            "room": {"code": room.config.code, "title": room.config.title, "phase": str(room.phase)},
            "score": player.score, "streak": player.streak, "count": room.seated,
            "team": team_of(room, player)}


def player_ids(room: Room) -> list[uuid.UUID]:
    return [p.player_id for p in room.roster()]
