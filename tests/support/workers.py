"""Real processes for tests that need them: `python -m server` workers, a private
redis-server, free ports."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from tests.support.live_clients import SECRET

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for_port(port: int, within_s: float = 10.0, host: str = "127.0.0.1") -> None:
    for _ in range(int(within_s / 0.05)):
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on {host}:{port} after {within_s} s")


@contextlib.asynccontextmanager
async def private_redis() -> AsyncIterator[str]:
    """A redis-server of our own on a free port (processes cannot share a fakeredis)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise AssertionError("this test needs a Redis server: none configured and no redis-server binary")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        stdout=subprocess.DEVNULL)
    try:
        await wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        await proc.wait()


def read_logs(logs: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in logs.glob("*.log"))


async def start_worker(database_url: str, redis_url: str, prefix: str, logs: Path,
                       extra_env: dict[str, str] | None = None, *, host: str = "127.0.0.1",
                       exec_prefix: list[str] | None = None):
    """One `python -m server` on a free port, ready (healthz 200): (process, its URL).
    `exec_prefix` runs it elsewhere (another host's network namespace), listening on `host`."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "REDIS_PREFIX": prefix,
           "SECRET_KEY": SECRET, "PORT": str(port), "HOST": host, "MIGRATE_ON_START": "0",
           "BATCH_WINDOW_MS": "2", **(extra_env or {})}
    with (logs / f"worker-{port}.log").open("w") as log_file:  # the child keeps its own copy
        proc = await asyncio.create_subprocess_exec(*(exec_prefix or []), sys.executable, "-m", "server",
                                                    cwd=ROOT, env=env, stdout=log_file,
                                                    stderr=subprocess.STDOUT)
    url = f"http://{host}:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(150):
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return proc, url
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    proc.terminate()
    await proc.wait()
    raise AssertionError(f"worker did not start: {read_logs(logs)}")


async def stop_workers(procs: list[asyncio.subprocess.Process], within_s: float = 30) -> list[int]:
    """SIGTERM each; the pids of those that had to be killed."""
    for proc in procs:
        if proc.returncode is None:
            proc.terminate()
    slow = []
    for proc in procs:
        try:
            await asyncio.wait_for(proc.wait(), within_s)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            slow.append(proc.pid)
    return slow
