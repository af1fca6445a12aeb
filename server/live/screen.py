"""/screen: the projector; it only listens."""

from __future__ import annotations

import hmac
import time

from pydantic import ValidationError

from rooms import views
from server.live.emits import SCREEN
from server.live.namespace_base import LiveNamespace, ok, parse, refuse
from server.live.payloads import Empty, ScreenAuth
from server.live.room_names import screen_room


class ScreenNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict, auth: object = None) -> None:
        started = time.monotonic()
        if not await self.live.joins.allow(f"screen:{environ.get('aiohttp.request').remote}"):
            await refuse("rate_limited", "too many attempts; wait a minute")
        try:
            request = ScreenAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            await refuse("forbidden", "auth must be {code, screen_key}")
        game = await self.live.registry.by_code(request.code)
        if game is None:
            await refuse("room_not_found", "room not found", started)
        if not hmac.compare_digest(game.row.screen_key.encode(), request.screen_key.encode()):
            await refuse("forbidden", "wrong screen key")
        await self.enter_room(sid, screen_room(game.room_id))
        await self.start_session(sid, room_id=game.room_id)
        self.server.start_background_task(self._welcome, sid, game)

    async def _welcome(self, sid, game) -> None:
        await self.live.emitter.to_connection(sid, SCREEN, "lobby", views.lobby_payload(game.room))
        await self.live.emitter.to_connection(sid, SCREEN, "state", await game.state(None))

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        game = await self.live.registry.by_id(session["room_id"])
        return ok(**await game.state(None), lobby=views.lobby_payload(game.room))
