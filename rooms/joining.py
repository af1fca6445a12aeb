"""How a student gets into a game: with a nickname or a student key, or back in with a
rejoin token's player id. Runs on the worker that owns the room."""

from __future__ import annotations

import datetime as dt
import uuid

from rooms.clock import Clock, naive_utc
from rooms.game import LiveGame
from rooms.nicknames import InvalidNickname, clean_nickname
from rooms.ports import RoomStore, StoredRoom
from rooms.room import Player, RoomError

GAME_OVER_GRACE = dt.timedelta(hours=2)


def room_not_found() -> RoomError:
    return RoomError("room_not_found", "room not found")


async def room_for_code(store: RoomStore, clock: Clock, code: str) -> StoredRoom:
    """The open room a code names, or the refusal: game_over if it ended lately."""
    row = await store.open_room_by_code(code)
    if row is not None:
        return row
    if await store.finished_since(code, naive_utc(clock.epoch_ms()) - GAME_OVER_GRACE):
        raise RoomError("game_over", "this game is over")
    raise room_not_found()


async def join_game(game: LiveGame, *, nickname: str | None = None,
                    student_key: str | None = None) -> Player:
    clean = None
    if nickname is not None:
        try:
            clean = clean_nickname(nickname)
        except InvalidNickname as exc:
            raise RoomError("invalid_nickname", str(exc)) from None
    student = None
    if student_key is not None:
        student = await game.store.student_for_key(student_key)
        if student is None:
            raise RoomError("unauthorized", "unknown student key")
        if student.teacher_id != game.row.teacher_id:
            raise RoomError("unauthorized", "this student key belongs to another teacher's class")
    player = await game.join(clean, student)
    return game.connect(player.player_id)


def rejoin_game(game: LiveGame, player_id: uuid.UUID) -> Player:
    game.player(player_id)  # refuses the unknown and the kicked
    return game.connect(player_id)
