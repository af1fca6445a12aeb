"""Start the server under test as its own process (so its CPU and RSS are its own), and stop it.

`baseline` is bench/storm/baseline_server.py; `real` is `python -m server` (serve) on a fresh PostgreSQL
database made for the run (migrated by the server as it starts) and a Redis key prefix of its
own; both are dropped afterwards. A real server may run from another checkout of the
repository (`root`, e.g. a `git worktree` of the commit before a change), with this one's
Python environment, so a change and the code before it run side by side under one load
generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Target:
    """What a storm needs to know about the server under test, however it was started."""

    kind: str  # "baseline" or "real"
    url: str
    pid: int  # whose CPU and RSS are measured
    database_url: str | None = None  # where committed answers are counted (real server only)


@dataclass
class ServerProcess:
    kind: str
    url: str
    process: asyncio.subprocess.Process
    log_path: Path
    database_url: str | None = None
    postgres_server_url: str | None = None
    database_name: str | None = None
    redis_url: str | None = None
    redis_prefix: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def target(self) -> Target:
        return Target(kind=self.kind, url=self.url, pid=self.pid, database_url=self.database_url)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def start_baseline(port: int | None = None) -> ServerProcess:
    port = port or _free_port()
    command = [sys.executable, "-m", "bench.storm.baseline_server", "--host", "127.0.0.1",
               "--port", str(port)]
    return await _spawn("baseline", command, port, dict(os.environ))


async def start_real(postgres_server_url: str = LOCAL_POSTGRES, redis_url: str | None = LOCAL_REDIS,
                     port: int | None = None, extra_env: dict[str, str] | None = None,
                     root: Path = REPO_ROOT, kind: str = "real",
                     replica_server_url: str | None = None) -> ServerProcess:
    """`replica_server_url`: a hot standby of `postgres_server_url`; the run's database on it
    (replicated as soon as it is created) becomes the server's DATABASE_REPLICA_URL."""
    from persistence.urls import with_database

    port = port or _free_port()
    name = f"mathrally_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(postgres_server_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    database_url = with_database(postgres_server_url, name)
    prefix = f"mathrally_bench_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "REDIS_PREFIX": prefix, "HOST": "127.0.0.1",
                "PORT": str(port), "MIGRATE_ON_START": "1"})
    if redis_url:
        env["REDIS_URL"] = redis_url
        env.setdefault("SECRET_KEY", f"bench-{uuid.uuid4().hex}")  # required with REDIS_URL
    else:
        env.pop("REDIS_URL", None)
    if replica_server_url:
        env["DATABASE_REPLICA_URL"] = with_database(replica_server_url, name)
    env.update(extra_env or {})
    try:
        server = await _spawn(kind, [sys.executable, "-m", "server"], port, env, root)
    except BaseException:
        await _drop_database(postgres_server_url, name)
        raise
    server.database_url = database_url
    server.postgres_server_url = postgres_server_url
    server.database_name = name
    server.redis_url = redis_url
    server.redis_prefix = prefix
    return server


async def _spawn(kind: str, command: list[str], port: int, env: dict[str, str],
                 root: Path = REPO_ROOT) -> ServerProcess:
    log_path = Path(tempfile.gettempdir()) / f"mathrally-bench-{kind}-{port}.log"
    log = log_path.open("wb")
    env["PYTHONPATH"] = str(root) + os.pathsep + env.get("PYTHONPATH", "")
    process = await asyncio.create_subprocess_exec(*command, cwd=root, env=env,
                                                   stdout=log, stderr=asyncio.subprocess.STDOUT)
    log.close()
    server = ServerProcess(kind=kind, url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        await _wait_healthy(server, timeout_s=90)
    except BaseException:
        await stop(server)
        raise
    return server


async def _wait_healthy(server: ServerProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if server.process.returncode is not None:
                raise RuntimeError(f"{server.kind} server exited with {server.process.returncode}; "
                                   f"see {server.log_path}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(server.url + "/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{server.kind} server not healthy after {timeout_s}s; see {server.log_path}")


async def stop(server: ServerProcess) -> None:
    if server.process.returncode is None:
        server.process.terminate()
        try:
            await asyncio.wait_for(server.process.wait(), 20)
        except TimeoutError:
            server.process.kill()
            await server.process.wait()
    if server.redis_url and server.redis_prefix:
        await _delete_redis_prefix(server.redis_url, server.redis_prefix)
    if server.postgres_server_url and server.database_name:
        await _drop_database(server.postgres_server_url, server.database_name)


async def _drop_database(postgres_server_url: str, name: str) -> None:
    conn = await asyncpg.connect(postgres_server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _delete_redis_prefix(redis_url: str, prefix: str) -> None:
    from persistence.redis_client import create_redis, delete_prefix

    client = create_redis(redis_url)
    try:
        await delete_prefix(client, prefix)
    finally:
        await client.aclose()


async def committed_attempts(database_url: str, room_ids: list[str]) -> int:
    """answer_attempts rows of the live sessions of these rooms (PROTOCOL.md: config.room_id)."""
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM answer_attempts a JOIN practice_sessions s ON s.id = a.session_id "
            "WHERE s.mode = 'live' AND s.config->>'room_id' = ANY($1::text[])", room_ids)
    finally:
        await conn.close()
