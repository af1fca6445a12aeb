"""/host: the teacher's controls."""

from __future__ import annotations

import hmac

from pydantic import ValidationError

from persistence import rooms_repo
from persistence.accounts import user_for_token
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
        row = await rooms_repo.room_by_id(self.live.db, request.room_id)
        if row is None:
            await refuse("room_not_found", "room not found")
        if not hmac.compare_digest(row.teacher_id.bytes, teacher_id.bytes):
            await refuse("forbidden", "this room belongs to another teacher")
        welcome = await self.live.gateway.state(row.room_id)
        await self.enter_room(sid, host_room(row.room_id))
        await self.start_session(sid, room_id=row.room_id)
        self.server.start_background_task(self._welcome, sid, welcome)

    async def _welcome(self, sid: str, welcome: dict) -> None:
        await self.live.emitter.to_connection(sid, HOST, "lobby", welcome.pop("lobby"))
        await self.live.emitter.to_connection(sid, HOST, "state", welcome)

    async def _control(self, session: dict, action: str, **args) -> dict:
        return await self.live.gateway.control(session["room_id"], action, **args)

    async def on_start(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return await self._control(session, "start")

    async def on_next(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return await self._control(session, "next")

    async def on_close_question(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return await self._control(session, "close_question")

    async def on_end(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return await self._control(session, "end")

    async def on_kick(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(KickIn, data)
        return await self._control(session, "kick", player_id=str(payload.player_id))

    async def on_lock(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(LockIn, data)
        return await self._control(session, "lock", locked=payload.locked)

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return ok(**await self.live.gateway.state(session["room_id"]))
