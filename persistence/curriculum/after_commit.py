"""What the curriculum does once a batch of answers is committed (a GroupCommitWriter hook).

The writer runs its hooks after COMMIT and before it releases the submitters, so a student
who gets their answer's reply then reads progress, grid or stats sees the new figures.
"""

from __future__ import annotations

import logging

from persistence.curriculum.cache import LearningCache
from persistence.curriculum.progress import refresh_after_answers
from persistence.database import Database

log = logging.getLogger(__name__)


class CurriculumAfterCommit:
    def __init__(self, db: Database, cache: LearningCache) -> None:
        self.db = db
        self.cache = cache

    async def __call__(self, committed) -> None:
        """committed: list of (AttemptIn, AttemptOutcome) of one batch."""
        fresh = [(attempt, outcome) for attempt, outcome in committed if not outcome.duplicate]
        if not fresh:
            return
        now = max(attempt.answered_at for attempt, _ in fresh)
        # Invalidate even if the refresh fails: a stale cache would hide the answers themselves.
        try:
            await refresh_after_answers(self.db, [(a.user_id, a.question_id) for a, _ in fresh], now)
        finally:
            await self.cache.invalidate_students(a.user_id for a, _ in fresh)
