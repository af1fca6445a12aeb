"""/screen: the projector; it only listens."""

from __future__ import annotations

import hmac
import time

from pydantic import ValidationError

from rooms import joining
from rooms.room import RoomError
from server.live.emits import SCREEN
from server.live.namespace_base import LiveNamespace, client_address, ok, parse, refuse
from server.live.payloads import Empty, ScreenAuth
from server.live.room_names import screen_room


class ScreenNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict, auth: object = None) -> None:
        started = time.monotonic()
        if not await self.live.joins.allow(f"screen:{client_address(environ)}"):
            await refuse("rate_limited", "too many attempts; wait a minute")
        try:
            request = ScreenAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            await refuse("forbidden", "auth must be {code, screen_key}")
        try:
            row = await joining.room_for_code(self.live.db, request.code)
        except RoomError:
            await refuse("room_not_found", "room not found", started)
        if not hmac.compare_digest(row.screen_key.encode(), request.screen_key.encode()):
            await refuse("forbidden", "wrong screen key")
        welcome = await self.live.gateway.state(row.room_id)
        await self.enter_room(sid, screen_room(row.room_id))
        await self.start_session(sid, room_id=row.room_id)
        self.server.start_background_task(self._welcome, sid, welcome)

    async def _welcome(self, sid: str, welcome: dict) -> None:
        await self.live.emitter.to_connection(sid, SCREEN, "lobby", welcome.pop("lobby"))
        await self.live.emitter.to_connection(sid, SCREEN, "state", welcome)

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return ok(**await self.live.gateway.state(session["room_id"]))
