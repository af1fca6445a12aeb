"""The one entry to live games for the transport: every command (rooms/commands.py) runs on
the worker that owns its room: this one, directly, or another through
rooms/cluster.Forwarder, which alone encodes it."""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from redis.exceptions import RedisError

from rooms import joining
from rooms.cluster import RENEW_EVERY_S, Forwarder, OwnerGone, RoomLeases
from rooms.commands import Join, RoomCommand, Welcome
from rooms.game import room_moving
from rooms.generation import RedisGeneration
from rooms.ports import RoomMoved
from rooms.registry import RoomRegistry
from rooms.room import RoomError

log = logging.getLogger(__name__)

R = TypeVar("R")
# A command whose room's owner turned out gone before the request reached it is run again
# (on whoever owns the room then) at most this many times.
ROUTE_ATTEMPTS = 3


class RoomGateway:
    def __init__(self, registry: RoomRegistry, leases: RoomLeases | None = None,
                 generation: RedisGeneration | None = None) -> None:
        self._registry = registry
        self._leases = leases
        self._generation = generation
        self.forwarder: Forwarder | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._leaving = False

    # --- lifecycle (several workers) -------------------------------------------------------

    async def start(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder
        await forwarder.start()
        self._renewer = asyncio.get_running_loop().create_task(self._renew_leases())

    async def leave(self) -> None:
        """This worker is shutting down: it stops running its rooms and lets go of their
        leases now, at the start of shutdown, so the students it is about to disconnect find
        their rooms on another worker at once (not when this one has finished exiting).
        Commands that still arrive are refused `unavailable`, to be resent."""
        if self._leaving:
            return
        self._leaving = True
        if self._renewer is not None:
            self._renewer.cancel()
            # wait(), not `await task`: a cancellation of this shutdown itself still propagates.
            await asyncio.wait([self._renewer])
        held = self._registry.room_ids()
        await self._registry.close_all()
        if self._leases is not None and held:
            try:
                await self._leases.release(held)
            except Exception as exc:  # Redis away: the leases expire by themselves
                log.warning("could not release the leases of %d rooms (%s)", len(held), exc)
            log.info("released the leases of %d rooms", len(held))

    async def stop(self) -> None:
        await self.leave()
        if self.forwarder is not None:
            await self.forwarder.stop()

    async def _renew_leases(self) -> None:
        assert self._leases is not None
        # The flag as well as the cancellation: a client library that swallows a cancellation
        # must not leave a shutting-down worker renewing forever.
        while not self._leaving:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                for room_id in await self._leases.renew(self._registry.room_ids()):
                    log.warning("lost the lease of room %s; another worker runs it now", room_id)
                    await self._registry.drop(room_id)
                if self._generation is not None:  # Redis lost its data: rebuild the boards
                    await self._generation.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: try again next round (PostgreSQL fences)
                log.warning("lease renewal failed (%s)", exc)

    # --- what the namespaces call ----------------------------------------------------------

    async def join(self, code: str, *, nickname: str | None = None,
                   student_key: str | None = None) -> Welcome:
        room_id = await self._registry.room_id_for_code(code)
        return await self.run(Join(room_id, nickname=nickname, student_key=student_key))

    async def run(self, command: RoomCommand[R]) -> R:
        """Run `command` on the worker that owns its room: here, directly, when this worker
        owns it; through the Forwarder otherwise. A room whose owner is gone is taken over
        by the first worker that notices (here, or whoever takes its lease first)."""
        if self._leaving:
            raise room_moving()
        # A room in this worker's memory is one it holds the lease of (the renewer drops a
        # room the moment its lease is lost), so the hot path needs no Redis round trip.
        if self._leases is None or self._registry.holds(command.room_id):
            return await self.run_here(command)
        assert self.forwarder is not None
        try:
            return await self._route(command)
        except RedisError as exc:  # Redis away (a restart): nothing ran; resend shortly
            log.warning("cannot route a %s of room %s: Redis is out of reach (%s)", command.NAME,
                        command.room_id, exc)
            raise RoomError("unavailable", "the game servers cannot reach each other; send it again",
                            retry_after_ms=1000) from None

    async def _route(self, command: RoomCommand[R]) -> R:
        assert self._leases is not None and self.forwarder is not None
        for _ in range(ROUTE_ATTEMPTS):
            owner, outage_since = await self._leases.acquire(command.room_id)
            if owner == self._leases.worker_id:
                if outage_since is not None:
                    self._registry.note_outage(command.room_id, outage_since)
                return await self.run_here(command)
            try:
                return await self.forwarder.call(owner, command)
            except OwnerGone as gone:
                log.warning("the owner %s of room %s is gone; its lease is buried", gone.worker_id,
                            command.room_id)
                await self._leases.bury(command.room_id, gone.worker_id)
                if gone.delivered:  # it may have run there: the client decides to resend
                    raise
        raise room_moving()

    async def run_forwarded(self, command: RoomCommand[R]) -> R:
        """The Forwarder's handler: a command another worker's client sent."""
        return await self.run_here(command, from_elsewhere=True)

    async def run_here(self, command: RoomCommand[R], *, from_elsewhere: bool = False) -> R:
        """Run `command` on a room this worker owns."""
        if self._leaving:
            raise room_moving()
        game = await self._registry.by_id(command.room_id)
        if game is None:
            raise joining.room_not_found()
        if game.moved:
            raise room_moving()
        if from_elsewhere:  # before it runs: its connection joins the room's audience after it
            self._registry.audiences.reached_from_elsewhere(command.room_id)
        try:
            return await command.run(game)
        except RoomMoved:
            raise game.moved_away() from None
