"""A student with more time (1.5×, 2×, untimed) answers the same question after the class's
deadline, while the class moves on together: the question closes, for everyone at once, when
the last student with time left has answered or run out of it. Accuracy scoring, for a room or
a student, scores a correct answer in full. Fake clock, no sleeps."""

import uuid
from decimal import Decimal

import pytest

from learning.accommodations import Accommodation
from rooms import events, views
from rooms.room import Phase, Player, Room, RoomConfig, RoomError
from tests.rooms.test_room import LIMIT, answer, questions
from tests.support.fake_clock import FakeClock


def make_room(*, scoring="speed", personal=False):
    clock = FakeClock()
    published: list = []
    config = RoomConfig(room_id=uuid.uuid4(), code="123456", title="t", operation="×",
                        min_operand=1, max_operand=9, question_count=3, time_limit_ms=LIMIT,
                        auto_advance_ms=None, teacher_id=uuid.uuid4(), screen_key="k",
                        scoring=scoring, personal=personal)
    return Room(config, clock=clock, scheduler=clock, publish=published.append), clock, published


def seat(room, name, accommodation=None, connect=True):
    p = Player(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), name, room.next_join_order(),
               accommodation=accommodation or Accommodation())
    room.add_player(p)
    if connect:
        room.connect(p.player_id)
    return p


DOUBLE = Accommodation(Decimal(2))
UNTIMED = Accommodation(None)


def test_the_extra_time_keeps_the_question_open_for_that_student_only():
    room, clock, published = make_room()
    ann, ben = seat(room, "Ann"), seat(room, "Ben", DOUBLE)
    room.start(questions())
    clock.advance(LIMIT + 1)  # the class's time is up
    assert room.phase == Phase.QUESTION  # Ben still has time: nobody moves on yet
    with pytest.raises(RoomError) as late:
        answer(room, ann, "6")
    assert late.value.code == "too_late"
    accepted, _ = answer(room, ben, "6")  # 2 + 3 = … the first fact is 2 × 3
    assert accepted.is_correct and accepted.response_time_ms == LIMIT + 1
    # Scored against his own 20 s: 10 s in is half his time, as 5 s would be for the class.
    assert accepted.points == 750
    # His answer was the last one that could come: the class moves on, together.
    assert room.phase == Phase.REVEAL
    assert [type(e).__name__ for e in published].count("QuestionClosed") == 1


def test_the_class_moves_on_when_the_extra_time_runs_out():
    room, clock, _ = make_room()
    seat(room, "Ann")
    seat(room, "Ben", Accommodation(Decimal("1.5")))
    room.start(questions())
    clock.advance(LIMIT)
    assert room.phase == Phase.QUESTION
    clock.advance(LIMIT // 2 - 1)
    assert room.phase == Phase.QUESTION
    clock.advance(1)
    assert room.phase == Phase.REVEAL


def test_everyone_answering_in_time_closes_at_once_as_before():
    room, clock, _ = make_room()
    ann, ben = seat(room, "Ann"), seat(room, "Ben", DOUBLE)
    room.start(questions())
    answer(room, ann, "6")
    answer(room, ben, "6")
    assert room.phase == Phase.REVEAL
    assert clock.pending() <= 1  # no deadline timer left behind


def test_an_untimed_student_holds_the_question_until_they_answer_leave_or_the_teacher_closes():
    room, clock, _ = make_room()
    seat(room, "Ann")
    cat = seat(room, "Cat", UNTIMED)
    room.start(questions())
    clock.advance(10 * LIMIT)
    assert room.phase == Phase.QUESTION
    accepted, _ = answer(room, cat, "7")
    assert not accepted.is_correct and room.phase == Phase.REVEAL
    room.next()
    clock.advance(3 * LIMIT)
    room.disconnect(cat.player_id)  # left: nobody is still answering
    assert room.phase == Phase.REVEAL
    room.connect(cat.player_id)
    room.next()
    clock.advance(LIMIT + 5)
    room.close_question()
    assert room.phase == Phase.REVEAL


def test_a_disconnected_student_with_more_time_does_not_hold_the_class():
    room, clock, _ = make_room()
    seat(room, "Ann")
    seat(room, "Ben", DOUBLE, connect=False)
    room.start(questions())
    clock.advance(LIMIT)
    assert room.phase == Phase.REVEAL


def test_accuracy_scoring_for_a_student_or_a_whole_room():
    room, clock, _ = make_room()
    ann, dan = seat(room, "Ann"), seat(room, "Dan", Accommodation(accuracy_scoring=True))
    room.start(questions())
    clock.advance(LIMIT // 2)
    assert answer(room, ann, "6")[0].points == 750
    assert answer(room, dan, "6")[0].points == 1000
    room, clock, _ = make_room(scoring="accuracy")
    eve = seat(room, "Eve")
    room.start(questions())
    clock.advance(LIMIT - 1)
    first, _ = answer(room, eve, "6")
    room.next()
    second, _ = answer(room, eve, "9")
    assert (first.points, second.points) == (1000, 1100)  # the streak bonus stays


def test_the_students_own_deadline_is_on_their_copy_of_the_question():
    room, _, published = make_room()
    ann, ben, cat = seat(room, "Ann"), seat(room, "Ben", DOUBLE), seat(room, "Cat", UNTIMED)
    room.start(questions())
    opened = next(e for e in published if isinstance(e, events.QuestionOpened))
    assert views.question_payload(room, ann) == views.question_payload_for(room, 0)
    mine = views.question_payload(room, ben)
    assert mine["time_limit_ms"] == LIMIT and mine["closes_at"] == opened.closes_at_epoch_ms
    assert mine["your_time_limit_ms"] == 2 * LIMIT
    assert mine["your_closes_at"] == opened.closes_at_epoch_ms + LIMIT
    untimed = views.deadline_payload(room, 0, cat)
    assert untimed == {"index": 0, "your_time_limit_ms": None, "your_closes_at": None}
    assert {p.nickname for p in room.extended_players()} == {"Ben", "Cat"}
