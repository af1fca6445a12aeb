"""rooms.ports.AnswerWriter in memory: commits into an InMemoryRoomStore at once, or fails as
a test tells it to. The real writer's contract is tested in tests/persistence."""

from __future__ import annotations

import asyncio

from rooms.ports import (
    AnswerRejected,
    CommitHook,
    CommittedAnswer,
    CommittedAttempt,
    LiveAttempt,
    RoomMoved,
    StoredAttempt,
)
from tests.support.memory_room_store import InMemoryRoomStore


class InMemoryAnswerWriter:
    def __init__(self, store: InMemoryRoomStore) -> None:
        self._store = store
        self._hooks: list[CommitHook] = []
        self.failures: list[AnswerRejected] = []  # the next submits raise these, in order
        # The next this many submits are stored (hooks included) and then refused
        # storage_unavailable, as the real writer does when a COMMIT's reply is lost and the
        # batch cannot be looked up in time.
        self.lose_replies = 0
        # While cleared, submits wait here before storing (a slow commit); set() lets them go.
        self.gate = asyncio.Event()
        self.gate.set()
        self.submitted: list[LiveAttempt] = []

    def on_committed(self, hook: CommitHook) -> None:
        self._hooks.append(hook)

    async def submit(self, attempt: LiveAttempt) -> CommittedAttempt:
        self.submitted.append(attempt)
        await self.gate.wait()
        if self.failures:
            raise self.failures.pop(0)
        stored = next((a for a in self._store.attempts if a.attempt_id == attempt.attempt_id), None)
        if stored is not None:
            return CommittedAttempt(stored.attempt_id, stored.is_correct, stored.points,
                                    stored.response_time_ms, duplicate=True)
        try:
            self._store.fence(attempt.room_id, attempt.owner_epoch)
        except RoomMoved:
            raise AnswerRejected("room_moved", "another server runs this room now") from None
        self._store.commit_attempt(StoredAttempt(
            attempt.attempt_id, attempt.session_id, attempt.question_index, attempt.question_id,
            attempt.raw_input, attempt.user_answer, attempt.user_answer == attempt.correct_answer,
            attempt.correct_answer, attempt.response_time_ms, attempt.points, attempt.input_method))
        for hook in self._hooks:
            await hook([CommittedAnswer(attempt.session_id, attempt.user_id, attempt.points,
                                        attempt.response_time_ms, attempt.attempt_id)])
        if self.lose_replies:
            self.lose_replies -= 1
            raise AnswerRejected("storage_unavailable", "the database did not answer in time")
        return CommittedAttempt(attempt.attempt_id, attempt.user_answer == attempt.correct_answer,
                                attempt.points, attempt.response_time_ms, duplicate=False)
