"""The RoomStore contract (rooms/ports.py), run against PostgreSQL (persistence/room_store.py)
and against the in-memory store tests/rooms uses, so that both keep the same promises."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from persistence.room_store import PostgresRoomStore
from rooms.ports import (
    BoardRow,
    RoomMoved,
    RoomStore,
    StoredAttempt,
    StoredPlayer,
    StoredRoom,
    TeamQuestionRow,
)
from tests.support import factories
from tests.support.memory_room_store import InMemoryRoomStore

AT = dt.datetime(2026, 12, 1, 9, 30)


class PostgresWorld:
    def __init__(self, db) -> None:
        self.db = db
        self.store = PostgresRoomStore(db)

    async def teacher(self) -> uuid.UUID:
        return (await factories.make_teacher_with_token(self.db))[0]

    async def room(self, teacher: uuid.UUID, **options: Any) -> StoredRoom:
        made = await factories.make_room(self.db, teacher, **options)
        room = await self.store.room_by_id(made["room_id"])
        assert room is not None
        return room

    async def student(self, teacher: uuid.UUID, name: str) -> tuple[uuid.UUID, str]:
        return await factories.make_roster_student(self.db, teacher, name)

    async def track(self) -> uuid.UUID:
        return (await factories.make_track(self.db, "×", size=2))[0]

    async def commit(self, player: StoredPlayer, question_id: uuid.UUID, index: int, points: int,
                     response_time_ms: int, correct: bool = True) -> uuid.UUID:
        attempt_id = uuid.uuid4()
        async with self.db.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO answer_attempts (question_id, user_id, session_id, user_answer, "
                "is_correct, correct_answer, response_time, input_method, raw_input, attempt_number, "
                "attempt_id, question_index, points) VALUES (:q, :u, :s, 6, :ok, 6, :rt, "
                "'keyboard', '6', 1, :a, :i, :p)"),
                {"q": question_id, "u": player.user_id, "s": player.session_id, "rt": response_time_ms,
                 "a": attempt_id, "i": index, "p": points, "ok": correct})
        return attempt_id


class MemoryWorld:
    def __init__(self) -> None:
        self.store = InMemoryRoomStore()

    async def teacher(self) -> uuid.UUID:
        return uuid.uuid4()

    async def room(self, teacher: uuid.UUID, **options: Any) -> StoredRoom:
        renamed = {"personal_rounds" if k == "personal" else k: v for k, v in options.items()}
        if "team_names" in renamed:
            renamed["team_names"] = tuple(renamed["team_names"])
        return self.store.add_room(teacher, **renamed)

    async def student(self, teacher: uuid.UUID, name: str) -> tuple[uuid.UUID, str]:
        student, key = self.store.add_student(teacher, name)
        return student.user_id, key

    async def track(self) -> uuid.UUID:
        return self.store.add_track([(a, b, "×", Decimal(a * b)) for a in (1, 2) for b in (1, 2)])

    async def commit(self, player: StoredPlayer, question_id: uuid.UUID, index: int, points: int,
                     response_time_ms: int, correct: bool = True) -> uuid.UUID:
        attempt_id = uuid.uuid4()
        self.store.commit_attempt(StoredAttempt(
            attempt_id, player.session_id, index, question_id, "6", Decimal(6), correct, Decimal(6),
            response_time_ms, points, "keyboard"))
        return attempt_id


@pytest.fixture(params=["postgres", "memory"])
def world(request):
    return PostgresWorld(request.getfixturevalue("db")) if request.param == "postgres" else MemoryWorld()


async def test_a_room_is_found_by_id_and_by_code_until_it_finishes(world):
    store: RoomStore = world.store
    teacher = await world.teacher()
    room = await world.room(teacher)
    assert room.status == "lobby" and room.teacher_id == teacher
    assert await store.room_by_id(room.room_id) == room
    assert await store.room_by_id(uuid.uuid4()) is None
    assert await store.open_room_by_code(room.code) == room
    assert not await store.finished_since(room.code, AT - dt.timedelta(hours=2))
    await store.finish_game(room.room_id, AT, epoch=0)
    assert await store.open_room_by_code(room.code) is None
    assert (await store.room_by_id(room.room_id)).status == "finished"
    assert await store.finished_since(room.code, AT - dt.timedelta(hours=2))
    assert not await store.finished_since(room.code, AT)


async def test_players_join_once_and_can_be_kicked(world):
    store: RoomStore = world.store
    teacher = await world.teacher()
    room = await world.room(teacher)
    guest = await store.create_player(room, "Ada", 1, None, epoch=0)
    user_id, key = await world.student(teacher, "Bo")
    found = await store.student_for_key(f" {key.lower()} ")
    assert found is not None
    assert (found.user_id, found.teacher_id, found.display_name) == (user_id, teacher, "Bo")
    assert await store.student_for_key("NOPE1234") is None
    rostered = await store.create_player(room, "Bo", 2, user_id, epoch=0)
    assert await store.create_player(room, "Bo again", 3, user_id, epoch=0) == rostered
    assert rostered.user_id == user_id and guest.user_id not in (user_id, None)
    assert guest.session_id != rostered.session_id
    await store.kick_player(room.room_id, guest.player_id, AT, epoch=0)
    history = await store.history(room.room_id)
    assert [(p.nickname, p.join_order, p.kicked) for p in history.players] == [
        ("Ada", 1, True), ("Bo", 2, False)]
    assert (history.questions, history.personal, history.attempts) == ([], [], [])


async def test_facts_are_found_or_created_once_even_concurrently(world):
    store: RoomStore = world.store
    facts = [(7, 8, "×", Decimal(56)), (8, 7, "×", Decimal(56)), (7, 8, "×", Decimal(56))]
    first, second = await asyncio.gather(store.find_or_create_facts(facts),
                                         store.find_or_create_facts(facts))
    assert first == second
    assert first[0] == first[2] != first[1]


async def test_a_game_starts_once_and_its_questions_open_and_close(world):
    store: RoomStore = world.store
    room = await world.room(await world.teacher())
    ids = await store.find_or_create_facts([(2, 3, "×", Decimal(6)), (3, 3, "×", Decimal(9))])
    assert await store.record_game_start(room.room_id, [ids[0], ids[1], ids[0]], AT, epoch=0)
    assert not await store.record_game_start(room.room_id, ids, AT, epoch=0)
    assert (await store.room_by_id(room.room_id)).status == "playing"
    opened, closes = AT + dt.timedelta(seconds=1), AT + dt.timedelta(seconds=11)
    await store.mark_question_opened(room.room_id, 0, opened, closes, epoch=0)
    await store.mark_question_closed(room.room_id, 0, AT + dt.timedelta(seconds=5), epoch=0)
    # A second close mark leaves the first.
    await store.mark_question_closed(room.room_id, 0, AT + dt.timedelta(seconds=9), epoch=0)
    questions = (await store.history(room.room_id)).questions
    assert [(q.index, q.fact.question_id) for q in questions] == [(0, ids[0]), (1, ids[1]), (2, ids[0])]
    assert (questions[0].opened_at, questions[0].closes_at, questions[0].closed_at) == (
        opened, closes, AT + dt.timedelta(seconds=5))
    assert (questions[1].opened_at, questions[1].closed_at) == (None, None)
    assert (questions[1].fact.operand1, questions[1].fact.operand2, questions[1].fact.correct_answer) == (
        3, 3, Decimal(9))


async def test_committed_answers_make_the_history_and_the_board(world):
    store: RoomStore = world.store
    room = await world.room(await world.teacher())
    ids = await store.find_or_create_facts([(2, 3, "×", Decimal(6))] * 3)
    await store.record_game_start(room.room_id, ids, AT, epoch=0)
    ada, bo, cy = [await store.create_player(room, name, i, None, epoch=0) for i, name in enumerate("ABC", 1)]
    first = await world.commit(ada, ids[0], 0, 800, 4000)
    bos = await world.commit(bo, ids[0], 0, 700, 3000)
    second = await world.commit(ada, ids[1], 1, 1000, 10)
    await world.commit(cy, ids[0], 0, 900, 5)
    await store.kick_player(room.room_id, cy.player_id, AT, epoch=0)
    history = await store.history(room.room_id)
    assert [(a.question_index, a.session_id) for a in history.attempts][:2] == [
        (0, ada.session_id), (0, bo.session_id)]
    assert history.attempts[0].attempt_id == first and history.attempts[0].points == 800
    assert [a.question_index for a in history.attempts] == [0, 0, 0, 1]
    rows = sorted(await store.board_rows(room.room_id), key=lambda r: r.join_order)
    # Each row names the answers it sums (a rebuild skips their late board updates).
    assert rows == [BoardRow(ada.player_id, 1, 1800, 4010, frozenset({first, second})),
                    BoardRow(bo.player_id, 2, 700, 3000, frozenset({bos}))]


async def test_teams_their_players_and_what_each_team_did_at_each_closed_question(world):
    store: RoomStore = world.store
    room = await world.room(await world.teacher(), team_names=("Red", "Blue"))
    assert room.team_names == ("Red", "Blue")
    ids = await store.find_or_create_facts([(2, 3, "×", Decimal(6))] * 3)
    ada = await store.create_player(room, "Ada", 1, None, epoch=0, team=0)
    bo = await store.create_player(room, "Bo", 2, None, epoch=0, team=1)
    cy = await store.create_player(room, "Cy", 3, None, epoch=0, team=1)
    await store.move_player(room.room_id, cy.player_id, 0, epoch=0)
    await store.record_game_start(room.room_id, ids, AT, epoch=0)
    await store.mark_question_opened(room.room_id, 0, AT, AT + dt.timedelta(seconds=10), epoch=0)
    di = await store.create_player(room, "Di", 4, None, epoch=0, team=1, first_question=1)  # late
    ed = await store.create_player(room, "Ed", 5, None, epoch=0, team=1)
    await world.commit(ada, ids[0], 0, 900, 1000)
    await world.commit(cy, ids[0], 0, 0, 2000, correct=False)
    await world.commit(bo, ids[0], 0, 700, 3000)
    await world.commit(ed, ids[0], 0, 800, 3000)
    await store.mark_question_closed(room.room_id, 0, AT + dt.timedelta(seconds=5), epoch=0)
    await store.mark_question_opened(room.room_id, 1, AT + dt.timedelta(seconds=6),
                                     AT + dt.timedelta(seconds=16), epoch=0)
    await world.commit(di, ids[1], 1, 600, 1000)
    await store.kick_player(room.room_id, ed.player_id, AT, epoch=0)  # leaves every question
    assert await store.team_rows(room.room_id) == [TeamQuestionRow(0, 0, 2, 900, 1),
                                                   TeamQuestionRow(1, 0, 1, 700, 1)]  # 1 still open
    await store.finish_game(room.room_id, AT + dt.timedelta(seconds=20), epoch=0)  # closes it
    assert await store.team_rows(room.room_id) == [
        TeamQuestionRow(0, 0, 2, 900, 1), TeamQuestionRow(1, 0, 1, 700, 1),
        TeamQuestionRow(0, 1, 2, 0, 0), TeamQuestionRow(1, 1, 2, 600, 1)]
    players = {p.nickname: (p.team, p.first_question) for p in (await store.history(room.room_id)).players}
    assert players == {"Ada": (0, 0), "Bo": (1, 0), "Cy": (0, 0), "Di": (1, 1), "Ed": (1, 0)}
    with pytest.raises(RoomMoved):
        await store.move_player(room.room_id, ada.player_id, 1, epoch=99)


async def test_personal_facts_are_recorded_once_and_chosen_from_the_track(world):
    store: RoomStore = world.store
    track = await world.track()
    facts = await store.track_facts(track, "×")
    assert [(f.operand1, f.operand2) for f in facts] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert await store.track_facts(track, "+") == facts  # none of that operation: all of them
    room = await world.room(await world.teacher(), track_id=track, personal=True)
    ada, bo = [await store.create_player(room, name, i, None, epoch=0) for i, name in enumerate("AB", 1)]
    await store.record_game_start(room.room_id, [f.question_id for f in facts[:3]], AT, epoch=0)
    await store.record_personal_questions(room.room_id, 0, {ada.player_id: facts[3].question_id}, epoch=0)
    await store.record_personal_questions(room.room_id, 0, {ada.player_id: facts[2].question_id,
                                                            bo.player_id: facts[1].question_id}, epoch=0)
    dealt = {(p.index, p.player_id): p.fact for p in (await store.history(room.room_id)).personal}
    assert dealt == {(0, ada.player_id): facts[3], (0, bo.player_id): facts[1]}
    chosen = await store.choose_personal_facts(track, [(ada.user_id, facts[0].question_id),
                                                       (bo.user_id, None)], AT.date(), "×")
    assert chosen == {ada.user_id: facts[1], bo.user_id: facts[0]}  # new students: track order


async def test_a_claim_fences_every_write_of_the_previous_owner(world):
    """Each claim adds one to the room's owner epoch; a write carrying an older epoch raises
    RoomMoved and stores nothing."""
    store: RoomStore = world.store
    room = await world.room(await world.teacher())
    first = await store.claim(room.room_id, "worker-a")
    assert first is not None and first.row == room
    second = await store.claim(room.room_id, "worker-b")
    assert second is not None and second.epoch == first.epoch + 1
    assert await store.claim(uuid.uuid4(), "worker-b") is None
    stale = first.epoch
    for write in (lambda: store.create_player(room, "Ada", 1, None, epoch=stale),
                  lambda: store.record_game_start(room.room_id, [], AT, epoch=stale),
                  lambda: store.mark_question_closed(room.room_id, 0, AT, epoch=stale),
                  lambda: store.finish_game(room.room_id, AT, epoch=stale)):
        with pytest.raises(RoomMoved):
            await write()
    assert (await store.history(room.room_id)).players == []
    assert (await store.room_by_id(room.room_id)).status == "lobby"
    ada = await store.create_player(room, "Ada", 1, None, epoch=second.epoch)
    with pytest.raises(RoomMoved):
        await store.kick_player(room.room_id, ada.player_id, AT, epoch=stale)
    assert [p.kicked for p in (await store.history(room.room_id)).players] == [False]


async def test_a_claim_waits_for_a_write_of_the_previous_owner_in_progress(db):
    """The fence is a row lock: a claim made while the previous owner's write is in its
    transaction is granted after that write commits, so the new owner's rebuild sees it."""
    store = PostgresRoomStore(db)
    room = await PostgresWorld(db).room(await PostgresWorld(db).teacher())
    old = await store.claim(room.room_id, "old")
    async with db.engine.begin() as conn:
        await conn.execute(text("SELECT owner_epoch FROM rooms WHERE id = :r FOR SHARE"),
                           {"r": room.room_id})
        claim = asyncio.create_task(store.claim(room.room_id, "new"))
        await asyncio.sleep(0.3)
        assert not claim.done()  # waits for the write's transaction
    new = await claim
    assert new is not None and new.epoch == old.epoch + 1
