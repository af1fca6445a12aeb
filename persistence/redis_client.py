"""The Redis connection: a real server when REDIS_URL is set, in-process fakeredis otherwise."""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

REDIS_MAX_CONNECTIONS = 64
REDIS_POOL_TIMEOUT_S = 5


def create_redis(redis_url: str | None) -> Redis:
    if redis_url:
        # A bounded pool that waits for a free connection: redis-py's default pool raises
        # MaxConnectionsError past 100 connections, which a burst of joins or answers reaches.
        pool = BlockingConnectionPool.from_url(redis_url, max_connections=REDIS_MAX_CONNECTIONS,
                                               timeout=REDIS_POOL_TIMEOUT_S, health_check_interval=30,
                                               decode_responses=False)
        return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
    import fakeredis  # only needed when no Redis server is configured

    # One FakeServer per process: every client of this process sees the same data, as with a
    # real server. That is why the server runs one worker without REDIS_URL.
    return fakeredis.FakeAsyncRedis(server=_process_fake_server(), decode_responses=False)


_fake_server = None


def _process_fake_server():
    global _fake_server  # created lazily, on first use, never at import
    if _fake_server is None:
        import fakeredis

        _fake_server = fakeredis.FakeServer()
    return _fake_server


async def delete_prefix(redis: Redis, prefix: str) -> int:
    """Delete every key under `prefix:` (tests clean up after themselves this way)."""
    deleted = 0
    async for key in redis.scan_iter(match=f"{prefix}:*", count=500):
        deleted += await redis.delete(key)
    return deleted
