"""/screen: the projector; it only listens."""

from __future__ import annotations

import hmac
import logging
import time
from typing import Any

from pydantic import ValidationError

from persistence import rosters
from rooms import commands, joining
from rooms.period_boards import WEEK
from rooms.ports import StoredRoom
from rooms.room import RoomError
from server.api_boards import class_board
from server.failure_limits import WRONG_JOIN_CODES, WRONG_SCREEN_KEYS, Limit
from server.live.emits import SCREEN
from server.live.namespace_base import (
    LiveNamespace,
    connection_address,
    ok,
    parse,
    refuse,
    refuse_rate_limited,
)
from server.live.payloads import Empty, ScreenAuth
from server.live.room_names import screen_room

log = logging.getLogger(__name__)

# "This week's top" on the projector's lobby: a handful of names readable from the back.
LOBBY_BOARD_SIZE = 5


class ScreenNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        started = time.monotonic()
        address = connection_address(environ)
        try:
            request = ScreenAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            await refuse("forbidden", "auth must be {code, screen_key}")
        # The screen key cannot be guessed: a right code and key always get in. A wrong one
        # counts (the code per address, the key per address and per code); past a limit every
        # failure is `rate_limited`, so it tells nothing about the code.
        try:
            row = await joining.room_for_code(self.live.store, self.live.clock, request.code)
        except RoomError:
            await self._failed(address, WRONG_JOIN_CODES, (address,))
            await refuse("room_not_found", "room not found", started)
        if not hmac.compare_digest(row.screen_key.encode(), request.screen_key.encode()):
            await self._failed(address, WRONG_SCREEN_KEYS, (address, f"room-code:{request.code}"))
            # The same refusal after the same wait as a wrong code: probing a code with any
            # key tells nothing about whether the code exists.
            await refuse("room_not_found", "room not found", started)
        welcome = await self.live.gateway.run(commands.ShowState(row.room_id))
        await self.enter_room(sid, screen_room(row.room_id))
        await self.start_session(sid, room_id=row.room_id)
        self.server.start_background_task(self._welcome, sid, welcome, row)

    async def _failed(self, address: str, limit: Limit, subjects: tuple[str, ...]) -> None:
        limits = self.live.limits
        over = await limits.retry_after(WRONG_JOIN_CODES, address) or \
            await limits.retry_after(WRONG_SCREEN_KEYS, address)
        if over is None:
            await limits.count(limit, *subjects)
            over = await limits.retry_after(limit, *subjects)
        if over is not None:
            await refuse_rate_limited(over, "failed screen connections from this address")

    async def _welcome(self, sid: str, welcome: dict[str, Any], row: StoredRoom) -> None:
        await self.live.emitter.to_connection(sid, SCREEN, "lobby", welcome.pop("lobby"))
        await self.live.emitter.to_connection(sid, SCREEN, "state", welcome)
        board = await self._week_top(row)
        if board is not None:
            await self.live.emitter.to_connection(sid, SCREEN, "class_board", board)

    async def _week_top(self, row: StoredRoom) -> dict[str, Any] | None:
        """The week's best of the room's class (students who scored), or None for a room
        without a class. A board that cannot be read leaves the lobby as it is: the game
        matters more than last week's names."""
        if row.class_id is None:
            return None
        try:
            record = await rosters.get_class(self.live.db, row.class_id)
            if record is None:
                return None
            body = await class_board(self.live.db, self.live.period_boards, record.id, record.name, WEEK)
        except Exception as exc:  # PostgreSQL or Redis away: no board, one line
            log.warning("class board for room %s not shown: %s", row.room_id, exc)
            return None
        body["board"] = [e for e in body["board"] if e["points"] > 0][:LOBBY_BOARD_SIZE]
        return body

    async def on_state(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return ok(**await self.live.gateway.run(commands.ShowState(session["room_id"])))
