"""What the curriculum does once a batch of answers is committed (a GroupCommitWriter hook).

The writer runs its hooks after COMMIT and before it releases the submitters, so whatever
the hook awaits is added to every ack in the batch. Hence two paths:

- Solo practice answers (no `question_index`): track progress is recomputed and the
  students' cached figures are dropped before the hook returns, so a student who has the
  reply to an answer and then reads progress, grid or stats sees the new figures.
- Live-game answers (`question_index` set): up to hundreds per batch, on the path of every
  ack of a game. They are handed to `ProgressRefresher`, which waits a quarter of a second
  for more, recomputes the track progress of everything handed in meanwhile in one
  transaction, and then drops those students' cached figures, once each. A student in a live
  game reads none of them mid-game; they are current a moment later. Its statements and the
  caches' generation bumps are paid per refresh, not per batch: a school's hundred rooms
  answering at once commit a batch every few milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Collection, Sequence

from persistence.answer_flow import AttemptIn, AttemptOutcome
from persistence.curriculum.cache import LearningCache
from persistence.curriculum.progress import refresh_after_answers
from persistence.database import Database

log = logging.getLogger(__name__)
# How long the refresher waits, once woken, for more answers to refresh together.
REFRESH_COALESCE_S = 0.25


class ProgressRefresher:
    """One background task recomputing track progress for answers handed to it."""

    def __init__(self, db: Database, cache: LearningCache, *,
                 coalesce_s: float = REFRESH_COALESCE_S) -> None:
        self.db = db
        self.cache = cache
        self.coalesce_s = coalesce_s
        self._pending: dict[tuple[uuid.UUID, uuid.UUID], dt.datetime] = {}
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="curriculum-progress-refresher")

    def submit(self, answers: list[tuple[uuid.UUID, uuid.UUID, dt.datetime]]) -> None:
        for user_id, question_id, answered_at in answers:
            key = (user_id, question_id)
            self._pending[key] = max(answered_at, self._pending.get(key, answered_at))
        if answers:
            self._idle.clear()
            self._wakeup.set()

    async def drain(self) -> None:
        """Wait until every answer handed in so far has been refreshed."""
        await self._idle.wait()

    async def stop(self, timeout_s: float = 10.0) -> None:
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), timeout_s)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            await asyncio.sleep(self.coalesce_s)  # the batches committing meanwhile join this refresh
            self._wakeup.clear()
            batch, self._pending = self._pending, {}
            if batch:
                try:
                    await refresh_after_answers(self.db, list(batch), max(batch.values()))
                except Exception:
                    # The answers are committed; the next answer of these students recomputes
                    # their progress from the record again.
                    log.exception("track progress refresh failed for %d answers", len(batch))
                finally:
                    await _invalidate_quietly(self.cache, {u for u, _ in batch})
            if not self._pending:
                self._idle.set()


async def _invalidate_quietly(cache: LearningCache, user_ids: Collection[uuid.UUID]) -> None:
    try:
        await cache.invalidate_students(user_ids)
    except Exception:
        # Redis down: the cached figures expire with their TTL (5–10 minutes).
        log.exception("cache invalidation failed for %d students", len(user_ids))


class CurriculumAfterCommit:
    def __init__(self, db: Database, cache: LearningCache,
                 refresher: ProgressRefresher | None = None) -> None:
        self.db = db
        self.cache = cache
        self.refresher = refresher

    async def __call__(self, committed: Sequence[tuple[AttemptIn, AttemptOutcome]]) -> None:
        """committed: (attempt, outcome) of one batch."""
        fresh = [attempt for attempt, outcome in committed if not outcome.duplicate]
        if not fresh:
            return
        live = [a for a in fresh if getattr(a, "question_index", None) is not None]
        solo = [a for a in fresh if getattr(a, "question_index", None) is None]
        if live and self.refresher is not None:
            self.refresher.submit([(a.user_id, a.question_id, a.answered_at) for a in live])
        else:
            solo += live
        if solo:
            try:
                await refresh_after_answers(self.db, [(a.user_id, a.question_id) for a in solo],
                                            max(a.answered_at for a in solo))
            finally:
                # Even if the refresh failed: a stale cache would hide the answers themselves.
                await _invalidate_quietly(self.cache, {a.user_id for a in solo})
