"""/host: the teacher's controls."""

from __future__ import annotations

import hmac

from pydantic import ValidationError

from persistence.accounts import user_for_token
from rooms import views
from rooms.room import RoomError
from server.live.emits import HOST
from server.live.namespace_base import LiveNamespace, ok, parse, refuse
from server.live.payloads import Empty, HostAuth, KickIn, LockIn
from server.live.room_names import host_room


class HostNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict, auth: object = None) -> None:
        try:
            request = HostAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            await refuse("unauthorized", "auth must be {token, room_id}")
        teacher_id = await user_for_token(self.live.db, request.token)
        if teacher_id is None:
            await refuse("unauthorized", "sign in again")
        game = await self.live.registry.by_id(request.room_id)
        if game is None:
            await refuse("room_not_found", "room not found")
        if not hmac.compare_digest(game.row.teacher_id.bytes, teacher_id.bytes):
            await refuse("forbidden", "this room belongs to another teacher")
        await self.enter_room(sid, host_room(game.room_id))
        await self.start_session(sid, room_id=game.room_id)
        self.server.start_background_task(self._welcome, sid, game)

    async def _welcome(self, sid, game) -> None:
        await self.live.emitter.to_connection(sid, HOST, "lobby", views.lobby_payload(game.room))
        await self.live.emitter.to_connection(sid, HOST, "state", await game.state(None))

    async def _control(self, session: dict, data: object, action: str) -> dict:
        parse(Empty, data)
        game = await self._game(session)
        await getattr(game, action)()
        return ok(phase=str(game.room.phase), index=game.room.index)

    async def on_start(self, sid: str, session: dict, data: object) -> dict:
        return await self._control(session, data, "start")

    async def on_next(self, sid: str, session: dict, data: object) -> dict:
        return await self._control(session, data, "next")

    async def on_close_question(self, sid: str, session: dict, data: object) -> dict:
        return await self._control(session, data, "close_question")

    async def on_end(self, sid: str, session: dict, data: object) -> dict:
        return await self._control(session, data, "end")

    async def on_kick(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(KickIn, data)
        await (await self._game(session)).kick(payload.player_id)
        return ok()

    async def on_lock(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(LockIn, data)
        await (await self._game(session)).lock(payload.locked)
        return ok(locked=payload.locked)

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        game = await self._game(session)
        return ok(**await game.state(None), lobby=views.lobby_payload(game.room))

    async def _game(self, session: dict):
        game = await self.live.registry.by_id(session["room_id"])
        if game is None:
            raise RoomError("room_not_found", "room not found")
        return game
