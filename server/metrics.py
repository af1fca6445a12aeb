"""Prometheus metrics: one registry per app, and the methods the rest of the server calls.

Nothing here is global: `create_app` builds a `Metrics` (its own CollectorRegistry) and
stores it under `app_keys.METRICS`; `GET /metrics` (server/api_health.py) renders that registry. Each worker
process exposes its own figures; Prometheus scrapes every worker and sums across them.

Who calls what:
- Socket.IO connect/disconnect handlers: `client_connected(ns)` / `client_disconnected(ns)`.
- room lifecycle: `room_opened()` / `room_closed()` (or `set_open_rooms(n)`).
- the answer handler: `observe_ack(seconds)` from the answer's arrival to its ack.
- the group-commit writer: either `observe_batch(size, seconds)` once per committed batch
  (answers, batch size and commit latency), or `add_after_commit_hook(metrics.after_commit_hook)`
  (answers and batch size) plus `observe_commit_seconds(seconds)` around its transaction.
- caches: `cache_hit(name)` / `cache_miss(name)`.
- reads routed to a replica (persistence/read_routing.py): `watch_replica(routing)` once it
  exists, which registers its gauges and gives `replica_read` as the routing's observer.
- the Socket.IO Redis manager: `watch_redis_manager(redis_manager_probe(manager))` once the
  AsyncServer exists; the Redis ping itself is done by `redis_probe_ctx` (server/resources.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

log = logging.getLogger(__name__)

# Seconds. Acks are a few milliseconds when batched; the tail matters up to seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 25, 50, 100, 250, 500, 1000)


class LagSource(Protocol):
    """What the replica gauges read at scrape time (persistence/read_routing.ReadRouting)."""

    @property
    def replica_up(self) -> bool | None: ...

    @property
    def last_lag(self) -> Any: ...  # a LagReading (bytes_behind, seconds_behind) or None


class Metrics:
    """The server's metrics, registered in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None, *, process: bool = True) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        if process:  # CPU, memory, open files of this worker (Linux /proc)
            ProcessCollector(namespace="mathrally", registry=r)
        self.connected_clients = Gauge(
            "mathrally_connected_clients", "Socket.IO clients connected to this worker",
            ["namespace"], registry=r)
        self.open_rooms = Gauge(
            "mathrally_open_rooms", "Live rooms (lobby or playing) held by this worker", registry=r)
        self.answers = Counter(
            "mathrally_answers", "Answers committed to the database", registry=r)
        self.ack_latency = Histogram(
            "mathrally_ack_latency_seconds", "From an answer's arrival to its ack",
            buckets=LATENCY_BUCKETS, registry=r)
        self.commit_latency = Histogram(
            "mathrally_commit_latency_seconds", "One group-commit transaction, begin to commit",
            buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram(
            "mathrally_commit_batch_size", "Answers per group-commit transaction",
            buckets=BATCH_SIZE_BUCKETS, registry=r)
        self.cache_hits = Counter(
            "mathrally_cache_hits", "Cache lookups answered from the cache", ["cache"], registry=r)
        self.cache_misses = Counter(
            "mathrally_cache_misses", "Cache lookups that went to the database", ["cache"],
            registry=r)
        self.redis_up = Gauge(
            "mathrally_redis_up", "1 when Redis answered the last ping", registry=r)
        # Created by watch_redis_manager: a single worker without REDIS_URL has no manager,
        # and a gauge stuck at 0 there would page someone for nothing.
        self.redis_manager_up: Gauge | None = None
        self.db_pool_checked_out = Gauge(
            "mathrally_db_pool_checked_out", "Database connections in use", registry=r)
        self.ready = Gauge(
            "mathrally_ready", "1 when this worker reports ready on /readyz", registry=r)
        # Created by watch_replica: only a worker given DATABASE_REPLICA_URL has a replica.
        self.replica_reads: Counter | None = None

    # --- Socket.IO clients and rooms ------------------------------------------------------

    def client_connected(self, namespace: str) -> None:
        self.connected_clients.labels(namespace=namespace).inc()

    def client_disconnected(self, namespace: str) -> None:
        self.connected_clients.labels(namespace=namespace).dec()

    # --- answers ------------------------------------------------------------------------

    def observe_ack(self, seconds: float) -> None:
        self.ack_latency.observe(seconds)

    @contextmanager
    def time_ack(self) -> Iterator[None]:
        """`with metrics.time_ack(): ...` around an answer handler's work."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.ack_latency.observe(time.perf_counter() - started)

    def observe_batch(self, size: int, seconds: float) -> None:
        """One committed group-commit batch of `size` answers that took `seconds`."""
        self.answers.inc(size)
        self.batch_size.observe(size)
        self.commit_latency.observe(seconds)

    def observe_commit_seconds(self, seconds: float) -> None:
        """Only the commit latency, for a writer whose after-commit hook counts the rest."""
        self.commit_latency.observe(seconds)

    async def after_commit_hook(self, batch: Sequence[Any]) -> None:
        """For GroupCommitWriter.add_after_commit_hook: counts answers and the batch size."""
        self.answers.inc(len(batch))
        self.batch_size.observe(len(batch))

    # --- caches -------------------------------------------------------------------------

    def cache_hit(self, cache: str) -> None:
        self.cache_hits.labels(cache=cache).inc()

    def cache_miss(self, cache: str) -> None:
        self.cache_misses.labels(cache=cache).inc()

    # --- Redis and the database ---------------------------------------------------------

    def watch_redis_manager(self, is_alive: Callable[[], bool]) -> None:
        """Read the manager's health at every scrape, so it can never be stale."""
        if self.redis_manager_up is None:
            self.redis_manager_up = Gauge(
                "mathrally_redis_manager_up",
                "1 when the Socket.IO Redis manager's pub/sub listener is alive",
                registry=self.registry)
        self.redis_manager_up.set_function(lambda: 1.0 if _safely(is_alive) else 0.0)

    def watch_open_rooms(self, count: Callable[[], int]) -> None:
        """Rooms this worker is running, read at every scrape."""
        self.open_rooms.set_function(lambda: float(_safely(count) or 0))

    def watch_replica(self, routing: LagSource) -> None:
        """The replica's health and lag, read from its routing's last probe at every scrape."""
        r = self.registry
        Gauge("mathrally_replica_up", "1 when the replica answered its last probe as a standby",
              registry=r).set_function(lambda: 1.0 if routing.replica_up else 0.0)
        Gauge("mathrally_replica_lag_bytes",
              "WAL the replica has not replayed yet, as of its last probe",
              registry=r).set_function(
            lambda: float(routing.last_lag.bytes_behind) if routing.last_lag else float("nan"))
        Gauge("mathrally_replica_lag_seconds",
              "At most this many seconds of writes were missing from the replica at its last probe",
              registry=r).set_function(
            lambda: routing.last_lag.seconds_behind if routing.last_lag else float("nan"))
        self.replica_reads = Counter(
            "mathrally_replica_reads", "Reads that may use the replica, by kind (fresh, bounded), "
            "by the database that served them and why", ["kind", "served_by", "reason"], registry=r)

    def replica_read(self, kind: str, served_by: str, reason: str) -> None:
        if self.replica_reads is not None:
            self.replica_reads.labels(kind=kind, served_by=served_by, reason=reason).inc()

    def watch_database_pool(self, checked_out: Callable[[], int]) -> None:
        self.db_pool_checked_out.set_function(lambda: float(_safely(checked_out) or 0))

    def render(self) -> tuple[bytes, str]:
        """The exposition body and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def redis_manager_probe(manager: Any) -> Callable[[], bool]:
    """For `watch_redis_manager`: python-socketio's AsyncRedisManager is alive when its
    listener task (`manager.thread`, started by `initialize()`) is still running and it
    holds a Redis connection (`manager.connected`)."""

    def alive() -> bool:
        task = getattr(manager, "thread", None)
        return bool(getattr(manager, "connected", False)) and task is not None and not task.done()

    return alive


def _safely(read: Callable[[], Any]) -> Any:
    try:
        return read()
    except Exception:  # a broken probe reads as "down", never as a failed scrape
        log.exception("metrics probe failed")
        return 0
