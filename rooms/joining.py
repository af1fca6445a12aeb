"""How a student gets into a game: by code with a nickname or a student key, or back in
with a rejoin token's (room, player)."""

from __future__ import annotations

import datetime as dt
import uuid

from persistence import rooms_repo
from persistence.accounts import student_for_key
from rooms.game import LiveGame
from rooms.nicknames import InvalidNickname, clean_nickname
from rooms.registry import RoomRegistry
from rooms.room import Player, RoomError


def room_not_found() -> RoomError:
    return RoomError("room_not_found", "room not found")


GAME_OVER_GRACE = dt.timedelta(hours=2)


async def join_by_code(registry: RoomRegistry, db, code: str, *, nickname: str | None = None,
                       student_key: str | None = None) -> tuple[LiveGame, Player]:
    clean = None
    if nickname is not None:
        try:
            clean = clean_nickname(nickname)
        except InvalidNickname as exc:
            raise RoomError("invalid_nickname", str(exc)) from None
    student = None
    if student_key is not None:
        student = await student_for_key(db, student_key)
        if student is None:
            raise RoomError("unauthorized", "unknown student key")
    game = await registry.by_code(code)
    if game is None:
        if await rooms_repo.recently_finished_code(db, code, GAME_OVER_GRACE):
            raise RoomError("game_over", "this game is over")
        raise room_not_found()
    if student is not None and student.teacher_id != game.row.teacher_id:
        raise RoomError("unauthorized", "this student key belongs to another teacher's class")
    player = await game.join(clean, student)
    return game, game.connect(player.player_id)


async def rejoin(registry: RoomRegistry, room_id: uuid.UUID, player_id: uuid.UUID) -> tuple[LiveGame, Player]:
    game = await registry.by_id(room_id)
    if game is None:
        raise room_not_found()
    game.player(player_id)  # refuses the unknown and the kicked
    return game, game.connect(player_id)
