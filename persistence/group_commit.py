"""Group commit: concurrent attempts share one transaction of a few milliseconds.

Submitters await `submit(attempt)`. A collector task closes a batch after `max_batch`
attempts or `window_ms` after the batch's first attempt arrived, and hands it to a flush
task that commits it with persistence/flow_batch.py. Up to `max_in_flight` batches commit
at once (so Python and PostgreSQL work in parallel); a batch that shares a user with an
earlier batch still in flight waits for it, so each user's attempts are applied in the order
they were submitted. Every submitter is released only after COMMIT, with its own outcome or
rejection, or, when PostgreSQL does not answer in time, with `storage_unavailable` once
`answer_timeout_ms` have passed since it submitted: a bound on every ack whatever the
database does.

A COMMIT whose reply is lost (the connection broke or the wait ran out after it was sent)
leaves the batch possibly stored. The writer then looks the batch's attempt_ids up on a fresh
connection before it answers anyone: found, the batch is committed and its outcomes are
given (and its hooks run) as for any commit; not found, nothing was stored. When even the
look-up cannot be done before the submitters' deadlines, they are refused (a resend of the
same attempt_id is safe: a stored one is answered with its stored outcome) and the look-up
goes on in the background, so the hooks still run once for a batch found stored later.
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
from persistence.database import Database, asyncpg_connection
from persistence.flow_batch import CommitUncertain, QuestionCatalog, Result, commit_batch

log = logging.getLogger(__name__)

AfterCommitHook = Callable[[Sequence[tuple[AttemptIn, AttemptOutcome]]], Awaitable[None]]
# (attempts in the batch, seconds its transaction took, retries of a split batch included)
BatchObserver = Callable[[int, float], None]
# (attempt, its submitter's future, the moment its submitter stops waiting)
_Pending = tuple[AttemptIn, "asyncio.Future[AttemptOutcome]", float]
# The most the writer keeps of an answer's bound for looking up a batch whose COMMIT reply
# was lost; the wait between look-ups in the background, and when they stop.
RESOLVE_WAIT_S = 1.0
RESOLVE_RETRY_S = 1.0
RESOLVE_GIVE_UP_S = 600.0
# Failures that say nothing about the batch's data, only that PostgreSQL cannot be reached
# or did not answer in time: retrying the batch attempt by attempt would only multiply waits.
UNREACHABLE = (OSError, TimeoutError, asyncpg.InterfaceError,
               asyncpg.PostgresConnectionError, asyncpg.CannotConnectNowError,
               asyncpg.QueryCanceledError, asyncpg.AdminShutdownError)


def _unavailable() -> AttemptRejected:
    return AttemptRejected("storage_unavailable",
                           "the answer could not be stored; sending it again is safe")


class GroupCommitWriter:
    def __init__(self, database: Database, *, max_batch: int = 500, window_ms: float = 4.0,
                 max_in_flight: int = 2, answer_timeout_ms: float = 4000) -> None:
        if max_batch < 1 or window_ms < 0 or max_in_flight < 1 or answer_timeout_ms <= 0:
            raise ValueError("max_batch and max_in_flight must be ≥ 1, window_ms ≥ 0, "
                             "answer_timeout_ms > 0")
        self._answer_timeout = answer_timeout_ms / 1000
        # Kept for the look-up of a batch whose COMMIT reply was lost, within the bound.
        self._resolve_wait = min(RESOLVE_WAIT_S, self._answer_timeout / 4)
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
        self._in_flight: dict[asyncio.Task[None], tuple[frozenset[uuid.UUID], asyncio.Event]] = {}
        self._collector: asyncio.Task[None] | None = None
        self._resolving: set[asyncio.Task[None]] = set()
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
        a retry: each stored attempt reaches the hooks once, also when its batch was found
        stored only after a lost COMMIT reply, possibly after its submitters were refused).
        Its failure is logged: the data is committed regardless."""
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
        for task in list(self._resolving):
            task.cancel()
        if self._resolving:
            await asyncio.gather(*self._resolving, return_exceptions=True)

    async def submit(self, attempt: AttemptIn) -> AttemptOutcome:
        """Stores `attempt` (all five steps) and returns its outcome once committed."""
        if not self._accepting:
            raise AttemptRejected("writer_stopped", "the answer writer is not running")
        validate_attempt(attempt)
        future: asyncio.Future[AttemptOutcome] = asyncio.get_running_loop().create_future()
        if not self._queue:
            self._first_arrival = time.monotonic()
        self._queue.append((attempt, future, time.monotonic() + self._answer_timeout))
        self._arrived.set()
        if len(self._queue) >= self._max_batch:
            self._full.set()
        try:
            # On timeout the future is cancelled: a batch not yet started leaves it out, and
            # one already storing may still commit it (a resend is answered as stored).
            return await asyncio.wait_for(future, self._answer_timeout)
        except TimeoutError:
            raise AttemptRejected("storage_unavailable", "the database did not answer in time; "
                                  "sending the answer again is safe") from None

    # ---- collecting ----------------------------------------------------------------------

    async def _collect(self) -> None:
        try:
            await self._collect_batches()
        except BaseException:
            # Nobody may wait forever: refuse new work and fail what is still queued.
            self._accepting = False
            failure = AttemptRejected("storage_unavailable", "the answer writer failed")
            while self._queue:
                _, future, _ = self._queue.popleft()
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
        users = frozenset(attempt.user_id for attempt, _, _ in batch)
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
            # Submitters that gave up while the batch waited: leave them out, never stored.
            batch = [pending for pending in batch if not pending[1].done()]
            if not batch:
                return
            attempts = [attempt for attempt, _, _ in batch]
            deadline = min(until for _, _, until in batch)
            started = time.perf_counter()
            results = await self._commit_or_split(attempts, deadline)
            for observe in self._observers:
                observe(len(attempts), time.perf_counter() - started)
            await self._after_commit(attempts, results)
            for (_, future, _), result in zip(batch, results, strict=True):
                if future.done():   # the submitter was cancelled or gave up; the result stands
                    continue
                if isinstance(result, AttemptRejected):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        except BaseException as exc:  # never leave a submitter waiting
            failure = _unavailable()
            for _, future, _ in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            log.exception("answer batch failed")
        finally:
            done.set()
            assert self._slots is not None
            self._slots.release()

    async def _after_commit(self, attempts: Sequence[AttemptIn], results: Sequence[Result]) -> None:
        # Retries are left out: a hook sees each stored attempt exactly once.
        committed = [(a, r) for a, r in zip(attempts, results, strict=True)
                     if isinstance(r, AttemptOutcome) and not r.duplicate]
        if committed:
            await self._run_hooks(committed)

    async def _commit_or_split(self, attempts: list[AttemptIn], deadline: float) -> list[Result]:
        """The batch in one transaction; if that fails on its data, each attempt in its own,
        so only the attempts that fail on their own are reported as failed. If PostgreSQL
        cannot be reached or does not answer in time, the whole batch is refused at once."""
        # The transaction gets what is left before the first submitter stops waiting, less
        # the time a look-up after a lost COMMIT reply may take.
        budget = deadline - time.monotonic() - self._resolve_wait
        if budget <= 0:
            return [_unavailable() for _ in attempts]
        try:
            return await self._commit(attempts, budget)
        except CommitUncertain as uncertain:
            return await self._resolve(attempts, uncertain.results, deadline)
        except UNREACHABLE as exc:
            log.warning("a batch of %d answers not stored: %s", len(attempts),
                        _describe(exc))
            return [_unavailable() for _ in attempts]
        except Exception:
            if len(attempts) == 1:
                log.exception("storing an answer failed")
                return [_unavailable()]
            log.warning("a batch of %d answers failed; retrying them one by one", len(attempts),
                        exc_info=True)
        results: list[Result] = []
        for attempt in attempts:
            results.extend(await self._commit_or_split([attempt], deadline))
        return results

    async def _commit(self, attempts: list[AttemptIn], within_s: float) -> list[Result]:
        # A timeout inside COMMIT surfaces as CommitUncertain (commit_batch turns the
        # cancellation into it); anywhere before, as TimeoutError: nothing was stored.
        async with asyncio.timeout(within_s):
            async with self._database.engine.connect() as connection:
                driver = await asyncpg_connection(connection)
                try:
                    return await commit_batch(driver, attempts, self._catalog)
                except BaseException as exc:
                    if not isinstance(exc, asyncpg.PostgresError) or isinstance(exc, UNREACHABLE):
                        # Unusable (a reply may still be on its way, or a transaction open):
                        # closed now, replaced at the next checkout.
                        driver.terminate()
                    raise

    async def _resolve(self, attempts: list[AttemptIn], results: list[Result],
                       deadline: float) -> list[Result]:
        """After a lost COMMIT reply: the batch's outcomes if it is stored, else refusals."""
        new_ids = _new_ids(results)
        if not new_ids:   # only retries and refusals: nothing to store, all of them hold
            return results
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                stored = await self._stored(new_ids)
        except Exception as exc:
            log.warning("a COMMIT's reply was lost and its batch of %d answers cannot be looked "
                        "up yet (%s): they are refused, and looked up again in the background",
                        len(attempts), _describe(exc))
            task = asyncio.get_running_loop().create_task(self._resolve_later(attempts, results))
            self._resolving.add(task)
            task.add_done_callback(self._resolving.discard)
            return [_unavailable() for _ in attempts]
        log.warning("a COMMIT's reply was lost; its batch of %d answers is %s", len(attempts),
                    "stored" if stored else "not stored")
        return results if stored else [_unavailable() for _ in attempts]

    async def _resolve_later(self, attempts: list[AttemptIn], results: list[Result]) -> None:
        deadline = time.monotonic() + RESOLVE_GIVE_UP_S
        while time.monotonic() < deadline:
            await asyncio.sleep(RESOLVE_RETRY_S)
            try:
                async with asyncio.timeout(RESOLVE_WAIT_S * 2):
                    stored = await self._stored(_new_ids(results))
            except Exception:
                continue
            log.warning("a batch of %d answers whose COMMIT reply was lost is %s", len(attempts),
                        "stored" if stored else "not stored")
            if stored:
                await self._after_commit(attempts, results)
            return
        log.error("a batch of %d answers whose COMMIT reply was lost could not be looked up "
                  "for %d s", len(attempts), RESOLVE_GIVE_UP_S)

    async def _stored(self, attempt_ids: list[uuid.UUID]) -> bool:
        """Whether the batch that was to store `attempt_ids` committed (one transaction: all
        or none of them are stored)."""
        if not attempt_ids:
            return False
        async with self._database.engine.connect() as connection:
            driver = await asyncpg_connection(connection)
            try:
                found: int = await driver.fetchval(
                    "SELECT count(*) FROM answer_attempts WHERE attempt_id = ANY($1::uuid[])",
                    attempt_ids)
            except BaseException:
                driver.terminate()
                raise
        if 0 < found < len(attempt_ids):
            log.error("a batch was stored in part (%d of %d attempts)", found, len(attempt_ids))
        return found > 0

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


def _new_ids(results: Sequence[Result]) -> list[uuid.UUID]:
    """The attempt_ids a batch stores if it commits."""
    return [r.attempt_id for r in results if isinstance(r, AttemptOutcome) and not r.duplicate]


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

