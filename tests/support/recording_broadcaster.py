"""rooms.ports.Broadcaster that records what a room sends, for tests without sockets."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sent:
    audience: str  # staff, players, player (one player's own copy), send_off
    event: str
    payload: dict[str, Any]
    player_id: uuid.UUID | None = None


class RecordingBroadcaster:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.changed = asyncio.Condition()

    async def _record(self, *sent: Sent) -> None:
        async with self.changed:
            self.sent.extend(sent)
            self.changed.notify_all()

    async def to_staff(self, room_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
        await self._record(Sent("staff", event, payload))

    async def to_players(self, room_id: uuid.UUID, event: str, payload: dict[str, Any]) -> None:
        await self._record(Sent("players", event, payload))

    async def to_each_player(self, event: str, payloads: Mapping[uuid.UUID, dict[str, Any]],
                             connections: Mapping[uuid.UUID, int]) -> None:
        await self._record(*(Sent("player", event, payload, player_id)
                             for player_id, payload in payloads.items()))

    async def send_off(self, room_id: uuid.UUID, player_id: uuid.UUID, event: str,
                       payload: dict[str, Any]) -> None:
        await self._record(Sent("send_off", event, payload, player_id))

    def of(self, event: str, audience: str | None = None) -> list[Sent]:
        return [s for s in self.sent if s.event == event and audience in (None, s.audience)]

    async def wait_for(self, ready: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s), self.changed:
            await self.changed.wait_for(ready)
