"""Redis with Sentinel as deploy/redis says, on this machine: a primary and a replica
(redis-server with deploy/redis/redis.conf), and three Sentinels (`redis-server --sentinel`
with deploy/redis/sentinel.conf), each on a free port in a temp dir. Only the addresses, the
ports and the working folder differ from the shipped files."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from redis.asyncio import Redis

from tests.support.workers import ROOT, free_port, wait_for_port

DEPLOY = ROOT / "deploy" / "redis"
SERVICE = "mathrally"


def _replace(text: str, pattern: str, replacement: str) -> str:
    text, count = re.subn(pattern, replacement, text, flags=re.M)
    assert count == 1, f"the shipped file no longer has {pattern!r}"
    return text


def redis_config(port: int, folder: Path, replica_of: int | None = None) -> str:
    text = (DEPLOY / "redis.conf").read_text()
    text = _replace(text, r"^bind .*$", "bind 127.0.0.1")
    text = _replace(text, r"^port 6379$", f"port {port}")
    text += f"\ndir {folder}\n"
    if replica_of is not None:
        text += f"replicaof 127.0.0.1 {replica_of}\n"
    return text


def sentinel_config(port: int, primary_port: int, folder: Path) -> str:
    text = (DEPLOY / "sentinel.conf").read_text()
    text = _replace(text, r"^bind .*$", "bind 127.0.0.1")
    text = _replace(text, r"^port 26379$", f"port {port}")
    text = _replace(text, rf"^sentinel monitor {SERVICE} \S+ 6379 2$",
                    f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2")
    return text + f"\ndir {folder}\n"


@dataclass
class Node:
    port: int
    config: Path
    sentinel: bool = False
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed: .ci/install-test-packages installs it"
        argv = [binary, str(self.config), *(["--sentinel"] if self.sentinel else [])]
        with (self.config.parent / f"{self.port}.log").open("a") as log:
            self.process = await asyncio.create_subprocess_exec(*argv, stdout=log,
                                                                stderr=subprocess.STDOUT)
        await wait_for_port(self.port)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@dataclass
class SentinelSet:
    folder: Path
    servers: list[Node]
    sentinels: list[Node]
    killed: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        """REDIS_URL for the workers: every Sentinel, database 0, the monitored service."""
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/0/{SERVICE}"

    async def _ask(self, node: Node, *command: str) -> object:
        client = Redis(host="127.0.0.1", port=node.port, socket_timeout=2)
        try:
            return await client.execute_command(*command)
        finally:
            await client.aclose()

    async def primary_port(self) -> int:
        """The primary's port as the first Sentinel that answers names it."""
        for node in self.sentinels:
            with contextlib.suppress(OSError, ConnectionError, Exception):
                address = await self._ask(node, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
                if isinstance(address, list | tuple):
                    return int(address[1])
        raise AssertionError("no Sentinel answers")

    def node(self, port: int) -> Node:
        return next(n for n in self.servers if n.port == port)

    async def wait_ready(self, within_s: float = 30) -> None:
        """Every Sentinel sees the primary, its replica and the two other Sentinels, and the
        replica's link to the primary is up."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                ready = True
                for node in self.sentinels:
                    state = await self._ask(node, "SENTINEL", "MASTER", SERVICE)
                    if isinstance(state, list):  # the raw reply: field, value, field, value…
                        state = dict(zip(state[::2], state[1::2], strict=True))
                    assert isinstance(state, dict), state  # field → value, as bytes
                    ready &= state[b"num-other-sentinels"] == b"2" and state[b"num-slaves"] == b"1"
                primary = await self.primary_port()
                replica = next(n for n in self.servers if n.port != primary)
                replication = await self._ask(replica, "INFO", "replication")
                assert isinstance(replication, dict)  # redis-py parses INFO
                ready &= replication.get("master_link_status") == "up"
                if ready:
                    return
            except (OSError, ConnectionError, StopIteration):
                pass
            assert time.monotonic() < deadline, "the Sentinels never saw the whole set"
            await asyncio.sleep(0.1)

    async def kill_primary(self) -> Node:
        """SIGKILL the primary (no goodbye to anyone): the Sentinels must notice and fail over."""
        node = self.node(await self.primary_port())
        await node.kill()
        self.killed.append(node)
        return node

    async def wait_failover(self, old_port: int, within_s: float = 30) -> float:
        started = time.monotonic()
        while await self.primary_port() == old_port:
            assert time.monotonic() - started < within_s, "the Sentinels did not fail over"
            await asyncio.sleep(0.05)
        return time.monotonic() - started


@contextlib.asynccontextmanager
async def sentinel_set() -> AsyncIterator[SentinelSet]:
    folder = Path(tempfile.mkdtemp(prefix="mathrally-sentinel-"))
    primary_port, replica_port = free_port(), free_port()
    servers = []
    for port, replica_of in ((primary_port, None), (replica_port, primary_port)):
        config = folder / f"redis-{port}.conf"
        config.write_text(redis_config(port, folder, replica_of))
        servers.append(Node(port, config))
    sentinels = []
    for _ in range(3):
        port = free_port()
        config = folder / f"sentinel-{port}.conf"
        config.write_text(sentinel_config(port, primary_port, folder))
        sentinels.append(Node(port, config, sentinel=True))
    made = SentinelSet(folder, servers, sentinels)
    try:
        for node in [*servers, *sentinels]:
            await node.start()
        await made.wait_ready()
        yield made
    finally:
        for node in [*sentinels, *servers]:
            await node.stop()
        shutil.rmtree(folder, ignore_errors=True)
