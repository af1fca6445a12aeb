"""The seed's Redis cache structure, read-through, invalidated when answers commit.

    user:{userId}:stats              5 min    (this module)
    user:{userId}:progress:{trackId} 10 min   (this module)
    grid:{userId}:{trackId}          5 min    (this module; a hash, one field per operation)
    session:{sessionId}:questions    1 h      (this module)
    leaderboard:daily / :weekly      until the period ends (rooms/period_boards.py)

Every key sits under settings.redis_prefix. A student's cached figures are stamped with
their generation (user:{userId}:cache_gen), read in the same round trip as the value: a value
from an older generation is a miss. Invalidating a student after their answers commit is
one SET of a fresh generation, whatever they have cached, and a read that misses stores its
value only inside a transaction WATCHing the generation it started from, so a slow reader
can never put pre-answer figures back after the answer's invalidation.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

USER_STATS_TTL_S = 5 * 60
TRACK_PROGRESS_TTL_S = 10 * 60
GRID_TTL_S = 5 * 60
SESSION_QUESTIONS_TTL_S = 60 * 60
LEADERBOARD_DAILY_TTL_S = 5 * 60
LEADERBOARD_WEEKLY_TTL_S = 15 * 60
# Outlives every cached value, so a generation never expires under a reader's feet.
GENERATION_TTL_S = 24 * 60 * 60


class CacheStats:
    """Hit and miss counts per kind of key, for the metrics endpoint."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self.invalidations = 0

    def snapshot(self) -> dict[str, Any]:
        kinds = sorted(set(self.hits) | set(self.misses))
        return {"hits": dict(self.hits), "misses": dict(self.misses),
                "invalidations": self.invalidations,
                "hit_ratio": {k: round(self.hits[k] / (self.hits[k] + self.misses[k]), 4)
                              for k in kinds}}


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return float(value)  # Decimal


class LearningCache:
    def __init__(self, redis: Redis, prefix: str, stats: CacheStats | None = None, *,
                 on_hit: Callable[[str], None] | None = None,
                 on_miss: Callable[[str], None] | None = None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.stats = stats or CacheStats()
        # e.g. the Prometheus counters of server/metrics.py (cache_hit / cache_miss)
        self._on_hit = on_hit
        self._on_miss = on_miss

    # --- key names (the seed's, under the deployment prefix) ---------------------------

    def user_stats_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}:user:{user_id}:stats"

    def track_progress_key(self, user_id: uuid.UUID, track_id: uuid.UUID) -> str:
        return f"{self.prefix}:user:{user_id}:progress:{track_id}"

    def grid_key(self, user_id: uuid.UUID, track_id: uuid.UUID) -> str:
        return f"{self.prefix}:grid:{user_id}:{track_id}"

    def session_questions_key(self, session_id: uuid.UUID) -> str:
        return f"{self.prefix}:session:{session_id}:questions"

    def _generation_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}:user:{user_id}:cache_gen"

    # --- read-through -------------------------------------------------------------------

    async def _read_through(self, kind: str, user_id: uuid.UUID | None, key: str, ttl_s: int,
                            load: Callable[[], Awaitable[Any]], field: str | None = None) -> Any:
        generation_key = self._generation_key(user_id) if user_id else None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(key, field) if field else pipe.get(key)
            if generation_key:
                pipe.get(generation_key)
            raw, *rest = await pipe.execute()
        generation = _text(rest[0]) if rest else None
        if raw is not None:
            entry = json.loads(raw)
            if entry.get("g") == generation:
                self._count(kind, hit=True)
                return entry["v"]
        self._count(kind, hit=False)
        value = await load()
        if value is None:
            return None
        # Round-trip through JSON so a hit and a miss return the same shapes.
        encoded = json.dumps({"g": generation, "v": value}, default=_default)
        await self._store_unless_invalidated(key, field, encoded, ttl_s, generation_key, generation)
        return json.loads(encoded)["v"]

    def _count(self, kind: str, *, hit: bool) -> None:
        (self.stats.hits if hit else self.stats.misses)[kind] += 1
        callback = self._on_hit if hit else self._on_miss
        if callback:
            callback(kind)

    async def _store_unless_invalidated(self, key: str, field: str | None, encoded: str, ttl_s: int,
                                        generation_key: str | None, generation: str | None) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            try:
                if generation_key:
                    await pipe.watch(generation_key)
                    if _text(await pipe.get(generation_key)) != generation:
                        return  # an answer committed while we loaded: our figures are stale
                pipe.multi()
                if field:
                    pipe.hset(key, field, encoded)
                    # The hash lives 5 min from its first field, as one "grid" entry would.
                    pipe.expire(key, ttl_s, nx=True)
                else:
                    pipe.set(key, encoded, ex=ttl_s)
                await pipe.execute()
            except WatchError:
                return

    async def user_stats(self, user_id: uuid.UUID, load: Callable[[], Awaitable[Any]]) -> Any:
        return await self._read_through("user_stats", user_id, self.user_stats_key(user_id),
                                        USER_STATS_TTL_S, load)

    async def track_progress(self, user_id: uuid.UUID, track_id: uuid.UUID,
                             load: Callable[[], Awaitable[Any]]) -> Any:
        return await self._read_through("track_progress", user_id,
                                        self.track_progress_key(user_id, track_id),
                                        TRACK_PROGRESS_TTL_S, load)

    async def grid(self, user_id: uuid.UUID, track_id: uuid.UUID, operation: str,
                   load: Callable[[], Awaitable[Any]]) -> Any:
        return await self._read_through("grid", user_id, self.grid_key(user_id, track_id),
                                        GRID_TTL_S, load, field=operation)

    async def session_questions(self, session_id: uuid.UUID,
                                load: Callable[[], Awaitable[Any]]) -> Any:
        # A session's question set never changes once chosen: no generation to check.
        return await self._read_through("session_questions", None,
                                        self.session_questions_key(session_id),
                                        SESSION_QUESTIONS_TTL_S, load)

    # --- invalidation -------------------------------------------------------------------

    async def invalidate_students(self, user_ids: Iterable[uuid.UUID]) -> None:
        """Make every cached figure of these students stale (called after their answers
        commit): each student's generation set to a value it never had, all in one round
        trip. A reader only compares generations for equality, so a fresh random value does
        what an INCR would, in one command with its expiry instead of two."""
        user_ids = sorted(set(user_ids))
        if not user_ids:
            return
        generation = secrets.token_hex(8)
        async with self.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.set(self._generation_key(user_id), generation, ex=GENERATION_TTL_S)
            await pipe.execute()
        self.stats.invalidations += len(user_ids)


def _text(raw: bytes | str | None) -> str | None:
    return raw.decode() if isinstance(raw, bytes) else raw
