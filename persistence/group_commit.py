"""Group commit: concurrent attempts share one transaction of a few milliseconds.

Submitters await `submit(attempt)`. A collector task closes a batch after `max_batch`
attempts or `window_ms` after the batch's first attempt arrived, and hands it to a flush
task that commits it with persistence/flow_batch.py. Up to `max_in_flight` batches commit
at once (so Python and PostgreSQL work in parallel); a batch that shares a user with an
earlier batch still in flight waits for it, so each user's attempts are applied in the order
they were submitted. Every submitter is released only after COMMIT, with its own outcome or
rejection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from persistence.answer_flow import AttemptIn, AttemptOutcome, AttemptRejected, validate_attempt
from persistence.database import Database
from persistence.flow_batch import QuestionCatalog, Result, commit_batch

log = logging.getLogger(__name__)

AfterCommitHook = Callable[[Sequence[tuple[AttemptIn, AttemptOutcome]]], Awaitable[None]]
# (attempts in the batch, seconds its transaction took, retries of a split batch included)
BatchObserver = Callable[[int, float], None]
_Pending = tuple[AttemptIn, asyncio.Future]


class GroupCommitWriter:
    def __init__(self, database: Database, *, max_batch: int = 500, window_ms: float = 4.0,
                 max_in_flight: int = 2) -> None:
        if max_batch < 1 or window_ms < 0 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be ≥ 1, window_ms ≥ 0")
        self._database = database
        self._max_batch = max_batch
        self._window = window_ms / 1000
        self._max_in_flight = max_in_flight
        self._hooks: list[AfterCommitHook] = []
        self._observers: list[BatchObserver] = []
        self._catalog = QuestionCatalog()
        self._queue: deque[_Pending] = deque()
        self._first_arrival = 0.0
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._slots: asyncio.Semaphore | None = None
        self._in_flight: dict[asyncio.Task, tuple[frozenset[uuid.UUID], asyncio.Event]] = {}
        self._collector: asyncio.Task | None = None
        self._accepting = False

    @property
    def max_in_flight(self) -> int:
        return self._max_in_flight

    def add_batch_observer(self, observer: BatchObserver) -> None:
        """`observer(size, seconds)` after each batch's storing ends, committed or not: how
        long answers wait on PostgreSQL. It must be quick and must not raise."""
        self._observers.append(observer)

    def add_after_commit_hook(self, hook: AfterCommitHook) -> None:
        """`hook(committed)` runs once per committed batch that stored new attempts, after
        COMMIT and before the submitters are released, with the newly stored attempts (never
        a retry: each stored attempt reaches the hooks once). Its failure is logged: the data
        is committed regardless."""
        self._hooks.append(hook)

    async def start(self) -> None:
        if self._collector is not None:
            raise RuntimeError("GroupCommitWriter already started")
        self._slots = asyncio.Semaphore(self._max_in_flight)
        self._accepting = True
        self._collector = asyncio.create_task(self._collect(), name="group-commit-collector")

    async def stop(self) -> None:
        """Commits everything already submitted, then stops."""
        self._accepting = False
        self._arrived.set()
        self._full.set()
        if self._collector is not None:
            await self._collector
            self._collector = None

    async def submit(self, attempt: AttemptIn) -> AttemptOutcome:
        """Stores `attempt` (all five steps) and returns its outcome once committed."""
        if not self._accepting:
            raise AttemptRejected("writer_stopped", "the answer writer is not running")
        validate_attempt(attempt)
        future = asyncio.get_running_loop().create_future()
        if not self._queue:
            self._first_arrival = time.monotonic()
        self._queue.append((attempt, future))
        self._arrived.set()
        if len(self._queue) >= self._max_batch:
            self._full.set()
        return await future

    # ---- collecting ----------------------------------------------------------------------

    async def _collect(self) -> None:
        try:
            await self._collect_batches()
        except BaseException:
            # Nobody may wait forever: refuse new work and fail what is still queued.
            self._accepting = False
            failure = AttemptRejected("storage_unavailable", "the answer writer failed")
            while self._queue:
                _, future = self._queue.popleft()
                if not future.done():
                    future.set_exception(failure)
            log.exception("the answer writer's collector failed")
            raise

    async def _collect_batches(self) -> None:
        assert self._slots is not None
        while self._accepting or self._queue:
            if not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
                continue
            await self._slots.acquire()
            remaining = self._first_arrival + self._window - time.monotonic()
            if self._accepting and len(self._queue) < self._max_batch and remaining > 0:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), remaining)
            batch = [self._queue.popleft() for _ in range(min(self._max_batch, len(self._queue)))]
            if not batch:
                self._slots.release()
                continue
            self._launch(batch)
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    def _launch(self, batch: list[_Pending]) -> None:
        users = frozenset(attempt.user_id for attempt, _ in batch)
        earlier = [done for other, done in self._in_flight.values() if other & users]
        done = asyncio.Event()
        task = asyncio.create_task(self._flush(batch, earlier, done))
        self._in_flight[task] = (users, done)
        task.add_done_callback(self._in_flight.pop)

    # ---- committing ----------------------------------------------------------------------

    async def _flush(self, batch: list[_Pending], earlier: list[asyncio.Event],
                     done: asyncio.Event) -> None:
        try:
            for event in earlier:
                await event.wait()
            attempts = [attempt for attempt, _ in batch]
            started = time.perf_counter()
            results = await self._commit_or_split(attempts)
            for observe in self._observers:
                observe(len(attempts), time.perf_counter() - started)
            # Retries are left out: a hook sees each stored attempt exactly once.
            committed = [(a, r) for a, r in zip(attempts, results, strict=True)
                         if isinstance(r, AttemptOutcome) and not r.duplicate]
            if committed:
                await self._run_hooks(committed)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():   # the submitter was cancelled; the result stands
                    continue
                if isinstance(result, AttemptRejected):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        except BaseException as exc:  # never leave a submitter waiting
            failure = AttemptRejected("storage_unavailable", "the answer could not be stored")
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            log.exception("answer batch failed")
        finally:
            done.set()
            assert self._slots is not None
            self._slots.release()

    async def _commit_or_split(self, attempts: list[AttemptIn]) -> list[Result]:
        """The batch in one transaction; if that fails, each attempt in its own, so only the
        attempts that fail on their own are reported as failed."""
        try:
            return await self._commit(attempts)
        except Exception:
            if len(attempts) == 1:
                log.exception("storing an answer failed")
                return [AttemptRejected("storage_unavailable", "the answer could not be stored")]
            log.warning("a batch of %d answers failed; retrying them one by one", len(attempts),
                        exc_info=True)
        results: list[Result] = []
        for attempt in attempts:
            results.extend(await self._commit_or_split([attempt]))
        return results

    async def _commit(self, attempts: list[AttemptIn]) -> list[Result]:
        async with self._database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver: asyncpg.Connection = raw.driver_connection
            return await commit_batch(driver, attempts, self._catalog)

    async def _run_hooks(self, committed: list[tuple[AttemptIn, AttemptOutcome]]) -> None:
        # Together, not one after another: each is a Redis round trip or two (the boards, the
        # learning cache) that the batch's acks wait for, and none depends on another.
        await asyncio.gather(*(self._run_hook(hook, committed) for hook in self._hooks))

    @staticmethod
    async def _run_hook(hook: AfterCommitHook, committed: list[tuple[AttemptIn, AttemptOutcome]]) -> None:
        try:
            await hook(committed)
        except Exception:
            log.exception("after-commit hook %r failed (the answers are committed)", hook)
