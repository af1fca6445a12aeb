"""The live game's AnswerWriter port on the real group-commit writer and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest

from persistence.answer_flow import AttemptIn
from persistence.group_commit import GroupCommitWriter
from persistence.live_answers import LiveAnswerWriter
from persistence.room_store import PostgresRoomStore
from rooms.ports import AnswerRejected, CommittedAnswer, CommittedAttempt, LiveAttempt
from tests.support import factories

AT = dt.datetime(2026, 12, 1, 9, 30)


@pytest.fixture
async def writer(db):
    # A long window so that what is submitted together lands in one batch.
    writer = GroupCommitWriter(db, max_batch=100, window_ms=100)
    await writer.start()
    yield writer
    await writer.stop()


async def test_answers_commit_once_and_only_live_ones_reach_the_hook(db, writer):
    store = PostgresRoomStore(db)
    teacher, _ = await factories.make_teacher_with_token(db)
    room = await store.room_by_id((await factories.make_room(db, teacher))["room_id"])
    assert room is not None
    ada, bo = [await store.create_player(room, name, i, None, epoch=0)
               for i, name in enumerate(("Ada", "Bo"), 1)]
    [question_id] = await store.find_or_create_facts([(6, 7, "×", Decimal(42))])
    live = LiveAnswerWriter(writer)
    batches: list[list[CommittedAnswer]] = []

    async def hook(committed):
        batches.append(list(committed))

    live.on_committed(hook)

    def attempt(player, answer: str, points: int) -> LiveAttempt:
        return LiveAttempt(uuid.uuid4(), player.user_id, player.session_id, question_id, 0, answer,
                           Decimal(answer), Decimal(42), 2_500, AT, "keyboard", points, room.room_id, 0)

    right, wrong = attempt(ada, "42", 900), attempt(bo, "41", 0)
    # A practice attempt in the same batch: the writer serves both, the hook only sees live ones.
    practice_session = await factories.make_session(db, ada.user_id)
    practice = AttemptIn(uuid.uuid4(), ada.user_id, practice_session, question_id, "42", Decimal(42),
                         Decimal(42), 1_000, AT)
    outcomes = await asyncio.gather(live.submit(right), live.submit(wrong), writer.submit(practice))
    assert outcomes[:2] == [CommittedAttempt(right.attempt_id, True, 900, 2_500, False),
                            CommittedAttempt(wrong.attempt_id, False, 0, 2_500, False)]
    assert batches == [[CommittedAnswer(ada.session_id, ada.user_id, 900, 2_500, right.attempt_id),
                        CommittedAnswer(bo.session_id, bo.user_id, 0, 2_500, wrong.attempt_id)]]

    # A retry returns what is stored, as a duplicate, and is not counted again.
    retry = dataclasses.replace(right, response_time_ms=9_000, points=100)
    assert await live.submit(retry) == CommittedAttempt(right.attempt_id, True, 900, 2_500, True)
    assert len(batches) == 1

    with pytest.raises(AnswerRejected) as rejected:
        await live.submit(dataclasses.replace(right, attempt_id=uuid.uuid4(), session_id=uuid.uuid4()))
    assert rejected.value.code == "unknown_session"

    # Another worker claimed the room: an answer its previous owner accepted is refused, a
    # retry of one stored before is still answered from the record.
    claimed = await store.claim(room.room_id, "another worker")
    assert claimed is not None and claimed.epoch == 1
    next_question = dataclasses.replace(attempt(bo, "42", 950), question_index=1)
    with pytest.raises(AnswerRejected) as rejected:
        await live.submit(next_question)
    assert rejected.value.code == "room_moved"
    assert (await live.submit(retry)).duplicate
    fresh = dataclasses.replace(next_question, owner_epoch=claimed.epoch)
    assert await live.submit(fresh) == CommittedAttempt(fresh.attempt_id, True, 950, 2_500, False)
