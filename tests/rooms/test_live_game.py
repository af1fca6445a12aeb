"""The live game end to end inside one process: typed commands through the gateway, the
LiveGame, its registry and delivery, on a fake clock, the in-memory room store and answer
writer, and the boards on an in-process Redis (fakeredis). No sleeps: time moves when a test
moves it, and what the record keeps is checked against the clock."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import random
import uuid
from decimal import Decimal

import fakeredis
import pytest

from rooms import commands
from rooms.clock import naive_utc
from rooms.gateway import RoomGateway
from rooms.leaderboard import Leaderboards
from rooms.ports import AnswerRejected, StoredRoom
from rooms.registry import REJOIN_GRACE_MS, RoomRegistry
from rooms.room import RoomError
from rooms.scoring import speed_points
from tests.support.fake_clock import FakeClock
from tests.support.memory_answers import InMemoryAnswerWriter
from tests.support.memory_room_store import InMemoryRoomStore
from tests.support.recording_broadcaster import RecordingBroadcaster

LIMIT = 10_000
START = naive_utc(FakeClock.EPOCH_BASE)


class Census:
    """Who is connected on the other workers, as a test says."""

    def __init__(self, counts: dict[uuid.UUID, int]) -> None:
        self.counts = counts

    async def connected(self, room_id: uuid.UUID) -> dict[uuid.UUID, int]:
        return dict(self.counts)


@dataclasses.dataclass
class Table:
    """One worker's live game, everything it talks to in memory."""

    store: InMemoryRoomStore
    writer: InMemoryAnswerWriter
    out: RecordingBroadcaster
    clock: FakeClock
    redis: fakeredis.FakeAsyncRedis
    registry: RoomRegistry
    gateway: RoomGateway

    @classmethod
    def build(cls, store: InMemoryRoomStore, clock: FakeClock, redis: fakeredis.FakeAsyncRedis,
              census: Census | None = None) -> Table:
        writer, out = InMemoryAnswerWriter(store), RecordingBroadcaster()
        registry = RoomRegistry(store=store, writer=writer, boards=Leaderboards(redis, "test"),
                                broadcaster=out, clock=clock, scheduler=clock, rng=random.Random(7),
                                census=census)
        return cls(store, writer, out, clock, redis, registry, RoomGateway(registry))

    async def settle(self, room: StoredRoom) -> None:
        """Run what is due now and deliver everything the room published."""
        game = await self.registry.by_id(room.room_id)
        assert game is not None
        for _ in range(3):  # a delivery can make a report due (the board after a commit)
            self.clock.advance(0)
            await game.delivered()

    async def answer(self, room: StoredRoom, welcome: commands.Welcome, text: str, index: int = 0,
                     attempt_id: uuid.UUID | None = None) -> dict:
        return await self.gateway.run(commands.SubmitAnswer(
            room.room_id, welcome.player_id, index=index, answer=text,
            attempt_id=attempt_id or uuid.uuid4(), input_method="keyboard"))

    async def question(self, room: StoredRoom, index: int = 0) -> dict:
        await self.settle(room)
        return next(s.payload for s in self.out.of("question", "players") if s.payload["index"] == index)


@pytest.fixture
async def table():
    redis = fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer())
    table = Table.build(InMemoryRoomStore(), FakeClock(), redis)
    yield table
    await table.registry.close_all()
    await redis.aclose()


def right_answer(question: dict) -> int:
    return question["operand1"] + question["operand2"]


async def codes(call) -> str:
    with pytest.raises(RoomError) as refused:
        await call
    return refused.value.code


async def test_a_game_from_lobby_to_podium(table):
    room = table.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname=" Bo ")
    assert (ada.joined["nickname"], bo.joined["nickname"]) == ("Ada", "Bo")
    await table.settle(room)
    assert [p["nickname"] for p in table.out.of("lobby", "staff")[-1].payload["players"]] == ["Ada", "Bo"]
    assert table.out.of("lobby", "players")[-1].payload == {"count": 2}

    assert await table.gateway.run(commands.Start(room.room_id)) == {"ok": True, "phase": "question",
                                                                     "index": 0}
    assert table.store.started_at[room.room_id] == START
    question = await table.question(room)
    assert table.out.of("question", "staff")[0].payload == question
    assert question["closes_at"] == FakeClock.EPOCH_BASE + LIMIT
    assert table.store.question(room.room_id, 0).opened_at == START
    assert table.store.question(room.room_id, 0).closes_at == START + dt.timedelta(milliseconds=LIMIT)

    table.clock.advance(2_000)
    ack = await table.answer(room, ada, str(right_answer(question)))
    assert ack == {"ok": True, "is_correct": True, "correct_answer": right_answer(question),
                   "points": speed_points(2_000, LIMIT), "score": speed_points(2_000, LIMIT),
                   "streak": 1, "response_time_ms": 2_000, "duplicate": False}
    [committed] = table.writer.submitted
    assert committed.answered_at == START + dt.timedelta(seconds=2) and committed.question_index == 0
    await table.settle(room)  # the committed answer moves the live board
    live = table.out.of("leaderboard", "staff")[-1].payload
    assert live["live"] and [e["nickname"] for e in live["top"]] == ["Ada", "Bo"]
    assert table.out.of("answer_progress", "staff")[-1].payload == {"index": 0, "answered": 1, "players": 2}

    table.clock.advance(1_000)
    assert not (await table.answer(room, bo, "-1"))["is_correct"]
    await table.settle(room)  # everyone answered: the question closes before its time
    closed = table.out.of("question_closed", "players")[0].payload
    assert closed == {"index": 0, "correct_answer": right_answer(question), "answered": 2, "correct": 1,
                      "average_response_time_ms": 2_500}
    assert table.out.of("question_closed", "staff")[0].payload == closed
    assert table.store.question(room.room_id, 0).closed_at == START + dt.timedelta(seconds=3)
    yours = {s.player_id: s.payload["you"] for s in table.out.of("leaderboard", "player")}
    assert yours == {ada.player_id: {"rank": 1, "score": speed_points(2_000, LIMIT), "streak": 1},
                     bo.player_id: {"rank": 2, "score": 0, "streak": 0}}

    await table.gateway.run(commands.Next(room.room_id))
    await table.question(room, 1)
    table.clock.advance(LIMIT)  # nobody answers: the timer closes it
    assert await codes(table.answer(room, ada, "4", index=1)) == "too_late"
    await table.settle(room)
    assert table.out.of("question_closed", "staff")[-1].payload["answered"] == 0
    assert await table.gateway.run(commands.Next(room.room_id)) == {"ok": True, "phase": "finished",
                                                                    "index": 1}
    await table.settle(room)
    over = {s.player_id: s.payload for s in table.out.of("game_over", "player")}
    # Bo scored nothing: he is ranked (last, where everyone without points shares the place)
    # but does not stand on the podium.
    assert [e["nickname"] for e in over[ada.player_id]["podium"]] == ["Ada"]
    assert [(e["nickname"], e["rank"]) for e in over[ada.player_id]["top"]] == [("Ada", 1), ("Bo", 2)]
    assert over[ada.player_id]["you"] == {"rank": 1, "score": speed_points(2_000, LIMIT), "correct": 1,
                                          "answered": 1}
    assert over[bo.player_id]["asked"] == 2
    finished = START + dt.timedelta(milliseconds=3_000 + LIMIT)
    assert table.store.rooms[room.room_id].status == "finished"
    assert table.store.finished_at[room.room_id] == finished
    sessions = {p.session_id for p in (await table.store.history(room.room_id)).players}
    assert {s: table.store.sessions_ended[s] for s in sessions} == dict.fromkeys(sessions, finished)
    assert await codes(table.gateway.join(room.code, nickname="Late")) == "game_over"


async def test_a_failed_commit_is_withdrawn_and_a_retry_is_answered_from_memory(table):
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    table.writer.failures.append(AnswerRejected("storage_unavailable", "the database is down"))
    assert await codes(table.answer(room, ada, str(right_answer(question)))) == "storage_unavailable"
    assert table.store.attempts == []
    state = await table.gateway.run(commands.ShowState(room.room_id, ada.player_id))
    assert (state["score"], state["answered_current"]) == (0, False)  # may answer again

    table.clock.advance(1_500)
    attempt_id = uuid.uuid4()
    first = await table.answer(room, ada, str(right_answer(question)), attempt_id=attempt_id)
    again = await table.answer(room, ada, str(right_answer(question)), attempt_id=attempt_id)
    assert again == {**first, "duplicate": True}
    assert [a.attempt_id for a in table.store.attempts] == [attempt_id]
    assert len(table.writer.submitted) == 2  # the failed one and the first of the pair
    assert await codes(table.answer(room, ada, "1")) == "already_answered"


async def test_answers_still_committing_never_close_the_question(table):
    """"Everyone answered" counts committed answers only: one that is still committing may yet
    fail, be withdrawn and be sent again."""
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    right = str(right_answer(question))
    table.clock.advance(1_000)
    table.writer.gate.clear()  # PostgreSQL is slow
    ada_ack = asyncio.create_task(table.answer(room, ada, right))
    bo_ack = asyncio.create_task(table.answer(room, bo, right))
    await asyncio.sleep(0)
    await table.settle(room)
    assert len(table.writer.submitted) == 2
    assert table.out.of("question_closed") == []  # both accepted, neither committed
    table.writer.failures.append(AnswerRejected("storage_unavailable", "the database is down"))
    table.writer.gate.set()
    assert await codes(ada_ack) == "storage_unavailable"
    assert (await bo_ack)["ok"]
    await table.settle(room)
    assert table.out.of("question_closed") == []  # Ada's answer was withdrawn: she may resend
    table.clock.advance(500)
    assert (await table.answer(room, ada, right))["ok"]
    await table.settle(room)
    [closed] = table.out.of("question_closed", "staff")
    assert closed.payload["answered"] == 2


async def test_a_resend_of_an_answer_stored_unbeknownst_takes_the_stored_row(table):
    """The first send was stored but its sender refused (a COMMIT's reply lost): the resend,
    seconds later, is acknowledged with the stored row's points and time, `duplicate: true`,
    and the score, the next answers and the board all follow the stored row."""
    room = table.store.add_room(operation="+", question_count=2, time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    right, attempt_id = str(right_answer(question)), uuid.uuid4()
    table.clock.advance(2_000)
    table.writer.lose_replies = 1
    assert await codes(table.answer(room, ada, right, attempt_id=attempt_id)) == "storage_unavailable"
    table.clock.advance(5_000)
    ack = await table.answer(room, ada, right, attempt_id=attempt_id)
    stored = speed_points(2_000, LIMIT)
    assert ack == {"ok": True, "is_correct": True, "correct_answer": right_answer(question),
                   "points": stored, "score": stored, "streak": 1, "response_time_ms": 2_000,
                   "duplicate": True}
    assert [(a.points, a.response_time_ms) for a in table.store.attempts] == [(stored, 2_000)]
    assert await table.answer(room, ada, right, attempt_id=attempt_id) == ack
    await table.gateway.run(commands.CloseQuestion(room.room_id))
    await table.settle(room)
    you = next(s.payload["you"] for s in table.out.of("leaderboard", "player")
               if s.player_id == ada.player_id)
    assert (you["rank"], you["score"]) == (1, stored)
    top, _ = await Leaderboards(table.redis, "test").top_and_ranks(room.room_id, [], n=10)
    assert (top[0].player_id, top[0].score) == (ada.player_id, stored)


async def test_a_kicked_player_is_sent_off_and_cannot_come_back(table):
    room = table.store.add_room()
    await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname="Bo")
    table.clock.advance(5_000)
    assert await table.gateway.run(commands.Kick(room.room_id, bo.player_id)) == {"ok": True}
    await table.settle(room)
    [off] = table.out.of("kicked")
    assert (off.audience, off.player_id, off.payload) == ("send_off", bo.player_id,
                                                         {"reason": "removed by the teacher"})
    assert [p["nickname"] for p in table.out.of("lobby", "staff")[-1].payload["players"]] == ["Ada"]
    assert [p.kicked for p in (await table.store.history(room.room_id)).players] == [False, True]
    assert await codes(table.gateway.run(commands.Rejoin(room.room_id, bo.player_id))) == "kicked"
    assert await codes(table.gateway.run(commands.Kick(room.room_id, bo.player_id))) == "not_found"


async def test_a_room_rebuilt_on_another_worker_keeps_its_deadline_and_its_scores(table):
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    table.clock.advance(2_000)
    ack = await table.answer(room, ada, str(right_answer(question)))
    await table.registry.close_all()  # the worker is gone (its timers with it)

    # Another worker, 3 s later, whose Redis has lost the board: everything comes back from
    # the store, and the deadline is still the one the record says.
    table.clock.advance(3_000)
    other = Table.build(table.store, table.clock, fakeredis.FakeAsyncRedis(server=fakeredis.FakeServer()))
    try:
        back = await other.gateway.run(commands.Rejoin(room.room_id, ada.player_id))
        assert back.state["phase"] == "question" and back.state["answered_current"]
        assert (back.state["score"], back.state["rank"]) == (ack["score"], 1)  # the board was rebuilt
        assert back.state["question"]["closes_at"] == FakeClock.EPOCH_BASE + LIMIT
        await other.gateway.run(commands.Rejoin(room.room_id, bo.player_id))
        table.clock.advance(1_000)
        late = await other.answer(room, bo, str(right_answer(question)))
        assert late["response_time_ms"] == 6_000  # measured from the question's real opening
        await other.settle(room)
        assert other.out.of("question_closed", "staff")[0].payload["answered"] == 2
        assert other.store.question(room.room_id, 0).closed_at == START + dt.timedelta(seconds=6)
    finally:
        await other.registry.close_all()
        await other.redis.aclose()


async def test_a_rebuilt_room_whose_deadline_passed_is_in_its_reveal(table):
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    await table.gateway.run(commands.Start(room.room_id))
    await table.question(room)
    await table.registry.close_all()
    table.clock.advance(LIMIT + 1)
    other = Table.build(table.store, table.clock, table.redis)
    try:
        state = await other.gateway.run(commands.ShowState(room.room_id, ada.player_id))
        assert (state["phase"], state["question"]) == ("reveal", None)
    finally:
        await other.registry.close_all()


async def test_a_personal_round_gives_each_student_their_own_fact_and_answer(table):
    track = table.store.add_track([(a, b, "×", Decimal(a * b)) for a in (3, 4) for b in (6, 7)])
    room = table.store.add_room(track_id=track, personal_rounds=True, question_count=1,
                                time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    await table.settle(room)
    [staff] = table.out.of("question", "staff")
    assert staff.payload["prompt"] == "Personal round" and staff.payload["operand1"] is None
    own = {s.player_id: s.payload for s in table.out.of("question", "player")}
    assert set(own) == {ada.player_id, bo.player_id} and all(q["personal"] for q in own.values())
    dealt = {p.player_id: p.fact for p in (await table.store.history(room.room_id)).personal}
    assert {pid: q["question_id"] for pid, q in own.items()} == {
        pid: str(fact.question_id) for pid, fact in dealt.items()}
    for who in (ada, bo):
        q = own[who.player_id]
        assert (await table.answer(room, who, str(q["operand1"] * q["operand2"])))["is_correct"]
    await table.settle(room)
    [closed_staff] = table.out.of("question_closed", "staff")
    assert closed_staff.payload["correct_answer"] is None and closed_staff.payload["personal"]
    mine = {s.player_id: s.payload["correct_answer"] for s in table.out.of("question_closed", "player")}
    assert mine == {pid: q["operand1"] * q["operand2"] for pid, q in own.items()}


async def test_students_join_with_their_key_under_their_roster_name(table):
    teacher = uuid.uuid4()
    room = table.store.add_room(teacher)
    _, key = table.store.add_student(teacher, "Ada Lovelace")
    _, foreign = table.store.add_student(uuid.uuid4(), "Bo")
    welcome = await table.gateway.join(room.code, student_key=key.lower())
    assert welcome.joined["nickname"] == "Ada Lovelace"
    assert (await table.gateway.join(room.code, student_key=key)).player_id == welcome.player_id
    assert await codes(table.gateway.join(room.code, student_key=foreign)) == "unauthorized"
    assert await codes(table.gateway.join(room.code, student_key="NOPE1234")) == "unauthorized"
    assert await codes(table.gateway.join("000000" if room.code != "000000" else "000001",
                                          nickname="Cy")) == "room_not_found"


async def test_a_welcome_carries_the_count_and_a_reload_keeps_the_answer(table):
    """The last joiner may miss the lobby broadcast (it can go out before their connection
    is in the players' room): `joined` and `state` carry the count themselves. A page
    reloaded after answering gets its own answer back in `state`."""
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    assert (ada.joined["count"], ada.state["count"]) == (1, 1)
    bo = await table.gateway.join(room.code, nickname="Bo")
    assert (bo.joined["count"], bo.state["count"]) == (2, 2)
    assert bo.state["title"] == room.title and bo.state["your_answer"] is None

    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    table.clock.advance(1_500)
    await table.answer(room, ada, str(right_answer(question)))
    mine = await table.gateway.run(commands.ShowState(room.room_id, ada.player_id))
    assert mine["answered_current"] and mine["your_answer"] == {
        "index": 0, "is_correct": True, "points": speed_points(1_500, LIMIT),
        "correct_answer": right_answer(question), "answer": str(right_answer(question)),
        "prompt": question["prompt"]}
    assert (await table.gateway.run(commands.ShowState(room.room_id, bo.player_id)))["your_answer"] is None
    await table.gateway.run(commands.CloseQuestion(room.room_id))
    await table.settle(room)
    after = await table.gateway.run(commands.ShowState(room.room_id, ada.player_id))
    assert after["phase"] == "reveal" and after["your_answer"]["is_correct"]
    assert [(e["nickname"], e["rank"]) for e in after["top"]] == [("Ada", 1), ("Bo", 2)]
    assert after["asked"] == 1


async def test_players_without_points_share_last_place_and_stay_off_the_podium(table):
    room = table.store.add_room(operation="+", question_count=1, time_limit_ms=LIMIT)
    ada, bo, cy, di = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo", "Cy", "Di")]
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    await table.answer(room, cy, str(right_answer(question)))
    table.clock.advance(1_000)
    await table.answer(room, ada, "-1")  # wrong: no points, like those who never answered
    await table.gateway.run(commands.End(room.room_id))
    await table.settle(room)
    over = {s.player_id: s.payload for s in table.out.of("game_over", "player")}
    assert [(e["nickname"], e["rank"]) for e in over[di.player_id]["top"]] == [
        ("Cy", 1), ("Bo", 2), ("Di", 2), ("Ada", 2)]
    assert [e["nickname"] for e in over[di.player_id]["podium"]] == ["Cy"]
    assert {p: over[w.player_id]["you"]["rank"] for p, w in
            (("Ada", ada), ("Bo", bo), ("Cy", cy), ("Di", di))} == {"Ada": 2, "Bo": 2, "Cy": 1, "Di": 2}
    assert over[ada.player_id]["you"] == {"rank": 2, "score": 0, "correct": 0, "answered": 1}
    assert over[bo.player_id]["asked"] == 1


async def test_a_worker_whose_room_was_claimed_by_another_stops_running_it(table):
    """Two workers on one record: once the second claims the room, every write of the first
    is refused by the record; its next answer gets a retryable `unavailable` and the room
    leaves its memory, while the new owner plays on."""
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    bo = await table.gateway.join(room.code, nickname="Bo")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    right = str(right_answer(question))
    other = Table.build(table.store, table.clock, table.redis)
    try:
        await other.gateway.run(commands.Rejoin(room.room_id, ada.player_id))  # claims it
        await other.gateway.run(commands.Rejoin(room.room_id, bo.player_id))
        assert table.store.owner_epochs[room.room_id] == 2
        with pytest.raises(RoomError) as refused:
            await table.answer(room, ada, right)
        assert (refused.value.code, refused.value.retry_after_ms) == ("unavailable", 500)
        assert not table.registry.holds(room.room_id)
        assert table.store.attempts == []
        ack = await other.answer(room, ada, right)
        assert ack["ok"] and len(table.store.attempts) == 1
        assert (await other.answer(room, bo, right))["ok"]
        await other.settle(room)
        assert other.out.of("question_closed", "staff")[0].payload["answered"] == 2
    finally:
        await other.registry.close_all()


async def test_a_room_taken_over_after_its_owner_died_goes_on_from_where_it_stopped(table):
    """The owner dies 3 s into a question; another worker rebuilds the room 1.5 s later. The
    question's deadline moves by the outage and nobody's response time counts it; the
    players connected to the survivor count at once (a census), and the question waits for
    those lost with the dead worker until they are back (or a grace ends) before everyone
    answered may close it. Those coming back are not charged their way back either."""
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada, bo, cy = [await table.gateway.join(room.code, nickname=n) for n in ("Ada", "Bo", "Cy")]
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    right = str(right_answer(question))
    table.clock.advance(2_000)
    await table.answer(room, ada, right)
    table.clock.advance(1_000)
    died_at = table.clock.epoch_ms()
    await table.registry.close_all()  # kill -9: Ada and Cy were connected to it, Bo elsewhere
    table.clock.advance(1_500)
    other = Table.build(table.store, table.clock, table.redis, Census({bo.player_id: 1}))
    other.registry.note_outage(room.room_id, died_at)
    try:
        state = await other.gateway.run(commands.ShowState(room.room_id, bo.player_id))
        assert state["question"]["closes_at"] == FakeClock.EPOCH_BASE + LIMIT + 1_500
        assert table.store.question(room.room_id, 0).closes_at == START + dt.timedelta(
            milliseconds=LIMIT + 1_500)
        late = await other.answer(room, bo, right)
        assert late["response_time_ms"] == 3_000  # 3 s before the outage, none after
        await other.settle(room)
        assert other.out.of("question_closed") == []  # Ada and Cy are on their way back
        table.clock.advance(1_000)
        await other.gateway.run(commands.Rejoin(room.room_id, cy.player_id))
        table.clock.advance(500)
        assert (await other.answer(room, cy, right))["response_time_ms"] == 3_500
        await other.settle(room)
        assert other.out.of("question_closed") == []
        await other.gateway.run(commands.Rejoin(room.room_id, ada.player_id))
        await other.settle(room)
        [closed] = other.out.of("question_closed", "staff")
        assert closed.payload["answered"] == 3
    finally:
        await other.registry.close_all()


async def test_a_rebuilt_question_closes_on_everyone_connected_once_the_grace_is_over(table):
    room = table.store.add_room(operation="+", time_limit_ms=LIMIT)
    ada = await table.gateway.join(room.code, nickname="Ada")
    await table.gateway.join(room.code, nickname="Gone")
    await table.gateway.run(commands.Start(room.room_id))
    question = await table.question(room)
    await table.registry.close_all()
    other = Table.build(table.store, table.clock, table.redis, Census({ada.player_id: 1}))
    try:
        await other.answer(room, ada, str(right_answer(question)))
        await other.settle(room)
        assert other.out.of("question_closed") == []
        table.clock.advance(REJOIN_GRACE_MS)
        await other.settle(room)
        assert other.out.of("question_closed", "staff")[0].payload["answered"] == 1
    finally:
        await other.registry.close_all()
