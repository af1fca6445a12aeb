"""Live points in memory: the LivePointsRecord port (rooms/ports.py) for tests/rooms."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence


class InMemoryLivePoints:
    def __init__(self) -> None:
        self.answers: list[tuple[uuid.UUID, int, dt.datetime]] = []  # (user, points, answered at)
        self.reads = 0
        self.failing = False

    def add(self, user_id: uuid.UUID, points: int, at: dt.datetime) -> None:
        self.answers.append((user_id, points, at))

    async def live_points(self, user_ids: Sequence[uuid.UUID],
                          windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> dict[uuid.UUID, list[int]]:
        self.reads += 1
        if self.failing:
            raise ConnectionError("the database is away")
        found: dict[uuid.UUID, list[int]] = {}
        for user, points, at in self.answers:
            if user not in user_ids:
                continue
            sums = found.setdefault(user, [0] * len(windows))
            for i, (start, end) in enumerate(windows):
                if start <= at < end:
                    sums[i] += points
        return found
