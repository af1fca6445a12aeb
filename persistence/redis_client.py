"""The Redis connection: a real server when REDIS_URL is set (or the primary Redis Sentinel
names, for a `redis+sentinel://` URL), in-process fakeredis otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import fakeredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool, SentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError

REDIS_MAX_CONNECTIONS = 64
REDIS_POOL_TIMEOUT_S = 5
# How long a Sentinel or a Redis may take to accept a connection, and a Sentinel to answer:
# a host that is down must cost a short wait, not the kernel's minutes.
CONNECT_TIMEOUT_S = 2.0
SENTINEL_TIMEOUT_S = 1.0
SENTINEL_SCHEME = "redis+sentinel"
# A command whose connection fails is sent again, after 0.1, 0.2, 0.4, then every 0.5 s, for
# about 6 s in all: long enough to ride out a failover (the Sentinels count the primary down
# after 2 s, deploy/redis/sentinel.conf, and promote its replica about a second later), so a
# failover is a pause, not a burst of errors. Each new connection asks the Sentinels where the
# primary is.
FAILOVER_RETRIES = 14


@dataclass(frozen=True)
class SentinelTarget:
    """A `redis+sentinel://[[user]:password@]host:port,host:port/db/service` URL (python-socketio's
    form): the Sentinels to ask, the name they monitor the primary under, and what to connect
    to it with. The password is the Redis servers' (the Sentinels take none)."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None


def parse_sentinel_url(url: str) -> SentinelTarget | None:
    """The target of a redis+sentinel:// URL; None for any other URL; ValueError (naming what is
    wrong) for a malformed one."""
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return None
    form = "redis+sentinel://host:port[,host:port...]/db/service"
    sentinels = []
    for host_port in parts.netloc.rpartition("@")[2].split(","):
        host, _, port = host_port.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"REDIS_URL: each Sentinel is host:port ({form}), got {host_port!r}")
        sentinels.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if len(path) != 2 or not path[0].isdigit():
        raise ValueError(f"REDIS_URL: a Sentinel URL names the database and the service: {form}")
    return SentinelTarget(tuple(sentinels), path[1], int(path[0]),
                          unquote(parts.username) if parts.username else None,
                          unquote(parts.password) if parts.password else None)


class PrimaryFollowingConnection(SentinelManagedConnection):
    """A connection to the Sentinels' primary that asks them again each time it reconnects.

    redis-py's Sentinel connection asks only when the pool hands it out. When a command's
    connection drops mid-use (the primary was killed), the resend reconnects to the address the
    connection had, the dead primary, and its retries run out there while the Sentinels already
    name the new one: a failover became an error instead of a pause."""

    async def connect_check_health(self, check_health: bool = True,
                                   retry_socket_connect: bool = True) -> None:
        if retry_socket_connect:
            # A reconnect before a command is sent: ask the Sentinels (and retry) as connect() does.
            await self.connect()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        else:
            # connect_to(), which has just asked the Sentinels for this address.
            await super().connect_check_health(check_health=check_health, retry_socket_connect=False)


def resend_options() -> dict[str, Any]:
    """Connection options that bound connects and resend a command whose connection failed,
    for long enough to ride out a failover."""
    return {"socket_connect_timeout": CONNECT_TIMEOUT_S,
            "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), FAILOVER_RETRIES),
            "retry_on_error": [ConnectionError, TimeoutError]}


def failover_options() -> dict[str, Any]:
    """Connection options of every client of a Sentinel-managed Redis (the app's, and the
    Socket.IO manager's): the resend options, over connections that follow the primary."""
    return {**resend_options(), "connection_class": PrimaryFollowingConnection}


async def close_sentinels(sentinel: Sentinel) -> None:
    """Close the clients of the Sentinels that `sentinel` asks (redis-py before 8 has no
    Sentinel.aclose)."""
    for client in sentinel.sentinels:
        await client.aclose()


class BlockingSentinelConnectionPool(SentinelConnectionPool, BlockingConnectionPool):
    """Connections to whichever server the Sentinels name as primary (redis-py's Sentinel
    pool), waiting for a free one when all are in use (the blocking pool) like the
    single-server client does."""


class SentinelManagedRedis(Redis):
    """The primary's client, which also closes the Sentinels' clients it finds the primary
    through (redis-py leaves those to whoever made the Sentinel)."""

    sentinels: Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        try:
            await super().aclose(close_connection_pool)
        finally:
            if self.sentinels is not None:
                await close_sentinels(self.sentinels)


def create_redis(redis_url: str | None) -> Redis:
    target = parse_sentinel_url(redis_url) if redis_url else None
    if target is not None:
        # After a failover the pool asks the Sentinels again as each connection is made, and a
        # connection to the old primary (demoted: READONLY) is dropped. A command resent after
        # its connection failed may run twice if the old primary ran it and replicated it
        # before dying; the boards are rebuilt from PostgreSQL when they must be exact.
        sentinel = Sentinel(list(target.sentinels),
                            sentinel_kwargs={"socket_timeout": SENTINEL_TIMEOUT_S,
                                             "socket_connect_timeout": SENTINEL_TIMEOUT_S},
                            **failover_options())
        client: SentinelManagedRedis = sentinel.master_for(
            target.service, redis_class=SentinelManagedRedis,
            connection_pool_class=BlockingSentinelConnectionPool,
            max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_POOL_TIMEOUT_S,
            health_check_interval=30, decode_responses=False, db=target.db,
            username=target.username, password=target.password)
        client.sentinels = sentinel
        return client
    if redis_url:
        # A bounded pool that waits for a free connection: redis-py's default pool raises
        # MaxConnectionsError past 100 connections, which a burst of joins or answers reaches.
        pool = BlockingConnectionPool.from_url(redis_url, max_connections=REDIS_MAX_CONNECTIONS,
                                               timeout=REDIS_POOL_TIMEOUT_S, health_check_interval=30,
                                               decode_responses=False)
        return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
    # One FakeServer per process: every client of this process sees the same data, as with a
    # real server. That is why the server runs one worker without REDIS_URL.
    return fakeredis.FakeAsyncRedis(server=_process_fake_server(), decode_responses=False)


_fake_server: fakeredis.FakeServer | None = None


def _process_fake_server() -> fakeredis.FakeServer:
    global _fake_server  # created lazily, on first use, never at import
    if _fake_server is None:
        _fake_server = fakeredis.FakeServer()
    return _fake_server


async def delete_prefix(redis: Redis, prefix: str) -> int:
    """Delete every key under `prefix:` (tests clean up after themselves this way)."""
    deleted = 0
    async for key in redis.scan_iter(match=f"{prefix}:*", count=500):
        deleted += await redis.delete(key)
    return deleted
