"""/play: students join, answer, and come back."""

from __future__ import annotations

import time

from pydantic import ValidationError

from rooms import joining, views
from rooms.room import RoomError
from server.live.emits import PLAY
from server.live.namespace_base import LiveNamespace, client_address, ok, parse, refuse
from server.live.payloads import AnswerIn, Empty, GuestJoin, Rejoin, parse_play_auth
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
            if isinstance(request, Rejoin):
                ids = read_rejoin_token(live.settings.secret_key, request.rejoin_token)
                if ids is None:
                    raise RoomError("room_not_found", "room not found")
                game, player = await joining.rejoin(live.registry, *ids)
            elif isinstance(request, GuestJoin):
                game, player = await joining.join_by_code(live.registry, live.db, request.code,
                                                          nickname=request.nickname)
            else:
                game, player = await joining.join_by_code(live.registry, live.db, request.code,
                                                          student_key=request.student_key)
        except RoomError as exc:
            await refuse(exc.code, exc.message, started)
        await self.enter_room(sid, players_room(game.room_id))
        await self.enter_room(sid, player_room(player.player_id))
        await self.start_session(sid, room_id=game.room_id, player_id=player.player_id)
        token = make_rejoin_token(live.settings.secret_key, game.room_id, player.player_id)
        joined = views.joined_payload(game.room, player, token)
        # After the connect handshake is out: events sent inside the handler would precede it.
        self.server.start_background_task(self._welcome, sid, game, player, joined)

    async def _welcome(self, sid, game, player, joined: dict) -> None:
        await self.live.emitter.to_connection(sid, PLAY, "joined", joined)
        await self.live.emitter.to_connection(sid, PLAY, "state", await game.state(player))

    async def on_disconnect(self, sid: str, reason: object = None) -> None:
        session = await self.get_session(sid)
        if "room_id" in session:
            game = await self.live.registry.by_id(session["room_id"])
            if game is not None:
                game.disconnect(session["player_id"])

    async def on_answer(self, sid: str, session: dict, data: object) -> dict:
        payload = parse(AnswerIn, data)
        game = await self._game(session)
        return await game.answer(session["player_id"], payload.index, payload.answer,
                                 payload.attempt_id, payload.input_method)

    async def on_state(self, sid: str, session: dict, data: object) -> dict:
        parse(Empty, data)
        game = await self._game(session)
        return ok(**await game.state(game.player(session["player_id"])))

    async def _game(self, session: dict):
        game = await self.live.registry.by_id(session["room_id"])
        if game is None:
            raise RoomError("room_not_found", "room not found")
        return game


