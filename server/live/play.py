"""/play: students join, answer, and come back."""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import ValidationError
from redis.asyncio.client import Pipeline

from rooms import commands
from rooms.room import RoomError
from server.live.emits import PLAY
from server.live.namespace_base import (
    LiveNamespace,
    connection_address,
    ok,
    parse,
    refuse,
    refuse_rate_limited,
)
from server.live.payloads import AnswerIn, Empty, GuestJoin, Rejoin, StudentJoin, parse_play_auth
from server.live.rejoin_tokens import make_rejoin_token, read_rejoin_token
from server.live.room_names import player_room, players_room

log = logging.getLogger(__name__)


class PlayNamespace(LiveNamespace):
    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        started = time.monotonic()
        live = self.live
        address = connection_address(environ)
        try:
            request = parse_play_auth(auth)
        except (ValidationError, ValueError):
            await refuse("invalid_payload", "auth must be {code, nickname}, {code, student_key} "
                                            "or {rejoin_token}")
        wait = await live.join_gate.before(address, request)
        if wait is not None:
            await refuse_rate_limited(wait, "wrong join codes from this address")
        try:
            welcome = await self._enter(request)
        except RoomError as exc:
            wait = await live.join_gate.failed(address, request, exc.code)
            if wait is not None:
                await refuse_rate_limited(wait, "failed join attempts from this address")
            extra = {} if exc.retry_after_ms is None else {"retry_after_ms": exc.retry_after_ms}
            await refuse(exc.code, exc.message, started, **extra)
        room_id, player_id = welcome.room_id, welcome.player_id
        await self.enter_room(sid, players_room(room_id))
        await self.enter_room(sid, player_room(player_id))
        await self.start_session(sid, room_id=room_id, player_id=player_id)
        # In one pipeline (shared with other joins and rooms): the code this address now
        # knows, and this connection's sid.
        def record(pipe: Pipeline) -> None:
            live.join_gate.queue_joined(pipe, address, request)
            live.connections.add(pipe, room_id, player_id, sid)

        try:
            await live.pipelines.run(record)
        except Exception as exc:  # Redis away: the player plays on; only a kick needs the sid
            log.warning("could not record connection %s of player %s in Redis (%s)", sid, player_id, exc)
        joined = {**welcome.joined,
                  "rejoin_token": make_rejoin_token(live.settings.secret_key, room_id, player_id)}
        # After the connect handshake is out: events sent inside the handler would precede it.
        self.server.start_background_task(self._welcome, sid, joined, welcome.state)

    async def _enter(self, request: GuestJoin | StudentJoin | Rejoin) -> commands.Welcome:
        gateway = self.live.gateway
        if isinstance(request, GuestJoin):
            return await gateway.join(request.code, nickname=request.nickname)
        if isinstance(request, StudentJoin):
            return await gateway.join(request.code, student_key=request.student_key)
        ids = read_rejoin_token(self.live.settings.secret_key, request.rejoin_token)
        if ids is None:
            raise RoomError("room_not_found", "room not found")
        return await gateway.run(commands.Rejoin(*ids))

    async def _welcome(self, sid: str, joined: dict[str, Any], state: dict[str, Any]) -> None:
        await self.live.emitter.to_connection(sid, PLAY, "joined", joined)
        await self.live.emitter.to_connection(sid, PLAY, "state", state)

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        session = await self.get_session(sid)
        if "room_id" in session:
            await self.live.connections.remove(session["room_id"], session["player_id"], sid)
            try:
                await self.live.gateway.run(commands.Disconnect(session["room_id"], session["player_id"]))
            except RoomError:
                pass  # the room is gone or moving: nothing to count

    async def on_answer(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        payload = parse(AnswerIn, data)
        return await self.live.gateway.run(commands.SubmitAnswer(
            session["room_id"], session["player_id"], index=payload.index, answer=payload.answer,
            attempt_id=payload.attempt_id, input_method=payload.input_method))

    async def on_state(self, sid: str, session: dict[str, Any], data: object) -> dict[str, Any]:
        parse(Empty, data)
        return ok(**await self.live.gateway.run(commands.ShowState(session["room_id"], session["player_id"])))
