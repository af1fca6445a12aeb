"""CPU seconds of this process and of the PostgreSQL backends serving one database."""

from __future__ import annotations

import time

import asyncpg

from bench.common.procstat import cpu_seconds


def _cpu_seconds_if_visible(pid: int) -> float | None:
    try:
        return cpu_seconds(pid)
    except OSError:  # PostgreSQL on another machine, or the backend just exited
        return None


class CpuMeter:
    """CPU seconds used by this process and by the PostgreSQL backends serving the benched
    database (when PostgreSQL runs on this machine and /proc shows its processes): unlike
    wall time, CPU per attempt barely depends on what else the shared machine is doing."""

    def __init__(self, server: str, database: str) -> None:
        self._server, self._database = server, database
        self._backends: dict[int, float] = {}

    async def _pids(self) -> list[int]:
        conn = await asyncpg.connect(self._server)
        try:
            rows = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1",
                                    self._database)
        finally:
            await conn.close()
        return [r["pid"] for r in rows]

    async def start(self) -> None:
        self._python = time.process_time()
        for pid in await self._pids():
            cpu = _cpu_seconds_if_visible(pid)
            if cpu is not None:
                self._backends[pid] = cpu

    async def stop(self) -> tuple[float, float | None]:
        """(Python CPU s, PostgreSQL CPU s or None when it cannot be seen)."""
        python = time.process_time() - self._python
        total, seen = 0.0, False
        for pid in await self._pids():
            cpu = _cpu_seconds_if_visible(pid)
            if cpu is not None:
                total += cpu - self._backends.get(pid, 0.0)
                seen = True
        return python, total if seen else None
