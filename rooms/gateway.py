"""The one entry to live games for the transport: every call is routed to the worker that
owns the room (this one, or another through rooms/cluster.Forwarder), and answers with
plain data (ids as strings) that can cross between workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from persistence.database import Database
from rooms import joining, views
from rooms.cluster import RENEW_EVERY_S, Forwarder, RoomLeases
from rooms.game import LiveGame
from rooms.registry import RoomRegistry
from rooms.room import Player, RoomError

log = logging.getLogger(__name__)

HOST_ACTIONS = frozenset({"start", "next", "close_question", "end", "kick", "lock"})


class RoomGateway:
    def __init__(self, registry: RoomRegistry, db: Database, leases: RoomLeases | None = None) -> None:
        self._registry = registry
        self._db = db
        self._leases = leases
        self.forwarder: Forwarder | None = None
        self._renewer: asyncio.Task | None = None

    # --- lifecycle (several workers) -------------------------------------------------------

    async def start(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder
        await forwarder.start()
        self._renewer = asyncio.get_running_loop().create_task(self._renew_leases())

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        if self.forwarder is not None:
            await self.forwarder.stop()
        if self._leases is not None:
            for room_id in self._registry.room_ids():
                with contextlib.suppress(Exception):
                    await self._leases.release(room_id)

    async def _renew_leases(self) -> None:
        assert self._leases is not None
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                for room_id in await self._leases.renew(self._registry.room_ids()):
                    log.warning("lost the lease of room %s; another worker runs it now", room_id)
                    await self._registry.drop(room_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lease renewal failed")

    # --- what the namespaces call ----------------------------------------------------------

    async def join(self, code: str, *, nickname: str | None = None, student_key: str | None = None) -> dict:
        room_id = self._registry.open_room_id(code)
        if room_id is None:
            room_id = (await joining.room_for_code(self._db, code)).room_id
        return await self._route(room_id, "join", {"nickname": nickname, "student_key": student_key})

    async def rejoin(self, room_id: uuid.UUID, player_id: uuid.UUID) -> dict:
        return await self._route(room_id, "rejoin", {"player_id": str(player_id)})

    async def disconnect(self, room_id: uuid.UUID, player_id: uuid.UUID) -> None:
        await self._route(room_id, "disconnect", {"player_id": str(player_id)})

    async def answer(self, room_id: uuid.UUID, player_id: uuid.UUID, *, index: int, answer: str,
                     attempt_id: uuid.UUID, input_method: str) -> dict:
        return await self._route(room_id, "answer", {
            "player_id": str(player_id), "index": index, "answer": answer,
            "attempt_id": str(attempt_id), "input_method": input_method})

    async def control(self, room_id: uuid.UUID, action: str, **args) -> dict:
        if action not in HOST_ACTIONS:
            raise RoomError("invalid_payload", f"unknown action {action}")
        return await self._route(room_id, "control", {"action": action, **args})

    async def state(self, room_id: uuid.UUID, player_id: uuid.UUID | None = None) -> dict:
        return await self._route(room_id, "state", {"player_id": str(player_id) if player_id else None})

    # --- routing ---------------------------------------------------------------------------

    async def _route(self, room_id: uuid.UUID, op: str, args: dict) -> dict:
        args = {**args, "room_id": str(room_id)}
        # A room in this worker's memory is one it holds the lease of (the renewer drops a
        # room the moment its lease is lost), so the hot path needs no Redis round trip.
        if self._leases is None or self._registry.holds(room_id):
            return await self.serve(op, args)
        owner = await self._leases.owner_of(room_id)
        if owner == self._leases.worker_id:
            return await self.serve(op, args)
        assert self.forwarder is not None
        return await self.forwarder.call(owner, op, args)

    async def serve(self, op: str, args: dict) -> dict:
        """Run one operation on a room this worker owns (also the Forwarder's handler)."""
        game = await self._registry.by_id(uuid.UUID(args["room_id"]))
        if game is None:
            raise joining.room_not_found()
        player_id = uuid.UUID(args["player_id"]) if args.get("player_id") else None
        if op == "join":
            player = await joining.join_game(game, self._db, nickname=args.get("nickname"),
                                             student_key=args.get("student_key"))
            return await self._welcome(game, player)
        if op == "rejoin":
            return await self._welcome(game, joining.rejoin_game(game, player_id))
        if op == "disconnect":
            game.disconnect(player_id)
            return {}
        if op == "answer":
            return await game.answer(player_id, args["index"], args["answer"],
                                     uuid.UUID(args["attempt_id"]), args["input_method"])
        if op == "control":
            return await self._control(game, args)
        if op == "state":
            player = game.player(player_id) if player_id else None
            state = await game.state(player)
            return state if player else {**state, "lobby": views.lobby_payload(game.room)}
        raise RoomError("invalid_payload", f"unknown operation {op}")

    async def _welcome(self, game: LiveGame, player: Player) -> dict:
        return {"room_id": str(game.room_id), "player_id": str(player.player_id),
                "joined": views.joined_payload(game.room, player, ""), "state": await game.state(player)}

    @staticmethod
    async def _control(game: LiveGame, args: dict) -> dict:
        action = args["action"]
        if action == "kick":
            await game.kick(uuid.UUID(args["player_id"]))
            return {"ok": True}
        if action == "lock":
            await game.lock(args["locked"])
            return {"ok": True, "locked": args["locked"]}
        await getattr(game, action)()
        return {"ok": True, "phase": str(game.room.phase), "index": game.room.index}
