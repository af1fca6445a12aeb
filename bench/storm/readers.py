"""A reader load during a storm: each room's teacher refreshes the room's report (GET
/api/rooms/{id}/report, the JSON the report page and its CSV exports are made from) every
`every_s`, from the moment the game starts until it ends. These are the reads
DATABASE_REPLICA_URL moves off the primary (read-your-writes: the replica once it has replayed
up to the primary's position when the request came, else the primary), so a storm with and
without a replica measures what moving them buys the answers."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common.stats import summary_ms


@dataclass
class ReaderMeasurements:
    latency_s: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def figures(self) -> dict[str, Any]:
        return {"reports_read": sum(self.statuses.values()), "report_statuses": dict(self.statuses),
                "report_ms": summary_ms(self.latency_s)}


class ReportReaders:
    """One refreshing teacher per room; `stop()` ends them."""

    def __init__(self, base_url: str, rooms: list[tuple[str, str]], every_s: float, seed: int = 1) -> None:
        self.base_url = base_url
        self.rooms = rooms  # (room_id, the teacher's bearer token)
        self.every_s = every_s
        self.rng = random.Random(seed)
        self.m = ReaderMeasurements()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._http: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._http = aiohttp.ClientSession(self.base_url, timeout=aiohttp.ClientTimeout(total=60))
        self._tasks = [asyncio.create_task(self._teacher(room_id, token, self.rng.uniform(0, self.every_s)))
                       for room_id, token in self.rooms]

    async def stop(self) -> ReaderMeasurements:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        return self.m

    async def _teacher(self, room_id: str, token: str, first_after_s: float) -> None:
        assert self._http is not None
        headers = {"Authorization": f"Bearer {token}"}
        wait_s = first_after_s
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), wait_s)
                return
            except TimeoutError:
                pass
            started = time.perf_counter()
            try:
                async with self._http.get(f"/api/rooms/{room_id}/report", headers=headers) as response:
                    await response.read()
                    status = str(response.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
            self.m.latency_s.append(time.perf_counter() - started)
            self.m.statuses[status] += 1
            wait_s = self.every_s
