"""/host: the teacher's controls."""

from __future__ import annotations

import hmac
from typing import Any

from pydantic import ValidationError

from persistence.accounts import user_for_token
from rooms import commands
from server.live.emits import HOST
from server.live.namespace_base import LiveNamespace, ok, parse, refuse
from server.live.payloads import Empty, HostAuth, KickIn, LockIn, MoveIn
from server.live.room_names import host_room


class HostNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            request = HostAuth.model_validate(auth if isinstance(auth, dict) else {})
        except ValidationError:
            await refuse("unauthorized", "auth must be {token, room_id}")
        teacher_id = await user_for_token(self.live.db, request.token)
        if teacher_id is None:
            await refuse("unauthorized", "sign in again")
        row = await self.live.store.room_by_id(request.room_id)
        if row is None:
            await refuse("room_not_found", "room not found")
        if not hmac.compare_digest(row.teacher_id.bytes, teacher_id.bytes):
            await refuse("forbidden", "this room belongs to another teacher")
        welcome = await self.live.gateway.run(commands.ShowState(row.room_id))
        await self.enter_room(sid, host_room(row.room_id))
        await self.start_session(sid, room_id=row.room_id)
        self.server.start_background_task(self._welcome, sid, welcome)

    async def _welcome(self, sid: str, welcome: dict[str, Any]) -> None:
        await self.live.emitter.to_connection(sid, HOST, "lobby", welcome.pop("lobby"))
        await self.live.emitter.to_connection(sid, HOST, "state", welcome)

    async def _control(self, command: commands.RoomCommand[commands.Payload]) -> commands.Payload:
        return await self.live.gateway.run(command)

    async def on_start(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return await self._control(commands.Start(session["room_id"]))

    async def on_next(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return await self._control(commands.Next(session["room_id"]))

    async def on_close_question(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return await self._control(commands.CloseQuestion(session["room_id"]))

    async def on_end(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return await self._control(commands.End(session["room_id"]))

    async def on_kick(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        payload = parse(KickIn, data)
        return await self._control(commands.Kick(session["room_id"], payload.player_id))

    async def on_move(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        payload = parse(MoveIn, data)
        return await self._control(commands.Move(session["room_id"], payload.player_id, payload.team))

    async def on_lock(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        payload = parse(LockIn, data)
        return await self._control(commands.Lock(session["room_id"], payload.locked))

    async def on_state(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return ok(**await self.live.gateway.run(commands.ShowState(session["room_id"])))
