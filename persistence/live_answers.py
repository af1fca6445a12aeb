"""The live game's AnswerWriter port (rooms/ports.py) on the group-commit writer: a room's
accepted answer goes through the same five-step flow, batches and hooks as practice."""

from __future__ import annotations

from collections.abc import Sequence

from persistence.answer_flow import AttemptIn, AttemptOutcome, AttemptRejected
from persistence.group_commit import GroupCommitWriter
from rooms.ports import AnswerRejected, CommitHook, CommittedAnswer, CommittedAttempt, LiveAttempt


class LiveAnswerWriter:
    def __init__(self, writer: GroupCommitWriter) -> None:
        self._writer = writer

    async def submit(self, attempt: LiveAttempt) -> CommittedAttempt:
        try:
            outcome = await self._writer.submit(AttemptIn(
                attempt_id=attempt.attempt_id, user_id=attempt.user_id, session_id=attempt.session_id,
                question_id=attempt.question_id, raw_input=attempt.raw_input,
                user_answer=attempt.user_answer, correct_answer=attempt.correct_answer,
                response_time_ms=attempt.response_time_ms, answered_at=attempt.answered_at,
                input_method=attempt.input_method, question_index=attempt.question_index,
                points=attempt.points, room_id=attempt.room_id, owner_epoch=attempt.owner_epoch))
        except AttemptRejected as exc:
            raise AnswerRejected(exc.code, exc.message) from None
        return CommittedAttempt(outcome.attempt_id, outcome.is_correct, outcome.points or 0,
                                outcome.response_time_ms, outcome.duplicate)

    def on_committed(self, hook: CommitHook) -> None:
        async def live_answers(batch: Sequence[tuple[AttemptIn, AttemptOutcome]]) -> None:
            # Practice attempts share the writer's batches; a live answer has its question index.
            committed = [CommittedAnswer(a.session_id, a.user_id, a.points or 0, a.response_time_ms,
                                         a.attempt_id)
                         for a, outcome in batch if a.question_index is not None and not outcome.duplicate]
            if committed:
                await hook(committed)

        self._writer.add_after_commit_hook(live_answers)
