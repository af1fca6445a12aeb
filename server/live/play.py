"""/play: students join, answer, and come back."""

from __future__ import annotations

import time
import uuid

from pydantic import ValidationError

from rooms.room import RoomError
from server.live.emits import PLAY
from server.live.namespace_base import LiveNamespace, client_address, ok, parse, refuse
from server.live.payloads import AnswerIn, Empty, GuestJoin, Rejoin, StudentJoin, parse_play_auth
from server.live.rejoin_tokens import make_rejoin_token, read_rejoin_token
from server.live.room_names import player_room, players_room


class PlayNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict, auth: object = None) -> None:
        started = time.monotonic()
        live = self.live
        if not await live.joins.allow(client_address(environ)):
            await refuse("rate_limited", "too many join attempts; wait a minute")
        try:
            request = parse_play_auth(auth)
        except (ValidationError, ValueError):
            await refuse("invalid_payload", "auth must be {code, nickname}, {code, student_key} "
                                            "or {rejoin_token}")
        try:
            welcome = await self._enter(request)
        except RoomError as exc:
            await refuse(exc.code, exc.message, started)
        room_id, player_id = uuid.UUID(welcome["room_id"]), uuid.UUID(welcome["player_id"])
        await self.enter_room(sid, players_room(room_id))
        await self.enter_room(sid, player_room(player_id))
        await self.start_session(sid, room_id=room_id, player_id=player_id)
        await live.connections.add(player_id, sid)
        welcome["joined"]["rejoin_token"] = make_rejoin_token(live.settings.secret_key, room_id, player_id)
        # After the connect handshake is out: events sent inside the handler would precede it.
        self.server.start_background_task(self._welcome, sid, welcome)

    async def _enter(self, request: GuestJoin | StudentJoin | Rejoin) -> dict:
        gateway = self.live.gateway
        if isinstance(request, GuestJoin):
            return await gateway.join(request.code, nickname=request.nickname)
        if isinstance(request, StudentJoin):
            return await gateway.join(request.code, student_key=request.student_key)
        ids = read_rejoin_token(self.live.settings.secret_key, request.rejoin_token)
        if ids is None:
            raise RoomError("room_not_found", "room not found")
        return await gateway.rejoin(*ids)

    async def _welcome(self, sid: str, welcome: dict) -> None:
        await self.live.emitter.to_connection(sid, PLAY, "joined", welcome["joined"])
        await self.live.emitter.to_connection(sid, PLAY, "state", welcome["state"])

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        session = await self.get_session(sid)
        if "room_id" in session:
            await self.live.connections.remove(session["player_id"], sid)
            try:
                await self.live.gateway.disconnect(session["room_id"], session["player_id"])
            except RoomError:
                pass  # the room is gone or moving: nothing to count

    async def on_answer(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(AnswerIn, data)
        return await self.live.gateway.answer(
            session["room_id"], session["player_id"], index=payload.index, answer=payload.answer,
            attempt_id=payload.attempt_id, input_method=payload.input_method)

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        return ok(**await self.live.gateway.state(session["room_id"], session["player_id"]))
