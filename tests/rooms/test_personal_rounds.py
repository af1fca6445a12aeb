"""Personal rounds in the room state machine: each player answers their own fact, every one
against the same timer, which starts when the facts are dealt (fake clock, no sleeps)."""

import dataclasses
import uuid

import pytest

from learning.questions import make_fact
from rooms import events
from rooms.room import Phase, RoomError, RoomQuestion
from rooms.scoring import speed_points
from tests.rooms.test_room import LIMIT, add, answer, make_room, questions
from tests.support.fake_clock import FakeClock


def personal_room(count=2, auto_advance_ms=None):
    room, clock, published = make_room(count=count, auto_advance_ms=auto_advance_ms)
    room.config = dataclasses.replace(room.config, personal=True)
    return room, clock, published


def own(index, a, b):
    return RoomQuestion(index, uuid.uuid4(), make_fact(a, b, "×"))


def codes(call):
    with pytest.raises(RoomError) as err:
        call()
    return err.value.code


def test_nobody_can_answer_until_the_round_is_dealt_and_the_timer_starts_then():
    room, clock, published = personal_room()
    ada, bob = add(room, 2)
    room.start(questions(2))
    assert published[-1] == events.QuestionOpened(0, FakeClock.EPOCH_BASE + LIMIT)
    assert room.question_for(ada.player_id) is None
    assert codes(lambda: answer(room, ada, "6")) == "no_open_question"
    clock.advance(400)  # choosing the facts took a database round trip
    room.deal(0, {ada.player_id: own(0, 7, 8), bob.player_id: own(0, 3, 4)})
    record = room.current
    assert (record.opened_at_ms, record.closes_at_ms) == (400, 400 + LIMIT)
    assert record.closes_at_epoch_ms == FakeClock.EPOCH_BASE + 400 + LIMIT
    clock.advance(LIMIT - 1)  # the timer of the open moved with the deal: still open
    assert room.phase == Phase.QUESTION
    clock.advance(1)
    assert room.phase == Phase.REVEAL
    assert clock.pending() == 0


def test_each_answer_is_checked_and_scored_against_the_players_own_fact():
    room, clock, published = personal_room()
    ada, bob, cy = add(room, 3)
    shared = questions(2)
    room.start(shared)
    mine, theirs = own(0, 7, 8), own(0, 3, 4)
    room.deal(0, {ada.player_id: mine, bob.player_id: theirs})
    assert room.question_for(cy.player_id) == shared[0]  # nobody chose for Cy: the round's fact
    clock.advance(2_000)
    first, duplicate = answer(room, ada, "56")
    assert not duplicate and first.is_correct and first.question_id == mine.question_id
    assert first.points == speed_points(2_000, LIMIT)
    clock.advance(1_000)
    wrong, _ = answer(room, bob, "56")  # Ada's answer is not Bob's
    assert not wrong.is_correct and wrong.question_id == theirs.question_id
    assert wrong.correct_answer == 12 and wrong.points == 0
    # Retries, a second answer and a late one behave as in a shared round.
    again, duplicate = answer(room, ada, "1", attempt_id=first.attempt_id)
    assert again is first and duplicate
    assert codes(lambda: answer(room, ada, "56")) == "already_answered"
    fallback, _ = answer(room, cy, str(shared[0].fact.correct_answer))
    assert fallback.is_correct and fallback.question_id == shared[0].question_id
    # Everyone answered: the round closes, with no one correct answer for the whole room.
    closed = published[-1]
    assert isinstance(closed, events.QuestionClosed)
    assert (closed.correct_answer, closed.answered, closed.correct) == (None, 3, 2)
    assert codes(lambda: answer(room, bob, "12", index=0)) == "too_late"


def test_a_round_closed_before_its_deal_keeps_its_phase_and_the_next_round_is_personal_too():
    room, clock, _ = personal_room(count=2)
    ada, = add(room, 1)
    room.start(questions(2))
    room.close_question()  # the teacher closed it while the facts were being chosen
    room.deal(0, {ada.player_id: own(0, 7, 8)})
    assert room.phase == Phase.REVEAL and clock.pending() == 0
    room.next()
    assert room.question_for(ada.player_id) is None
    room.deal(1, {ada.player_id: own(1, 6, 6)})
    ack, _ = answer(room, ada, "36")
    assert ack.is_correct and room.question_for(ada.player_id, 0).fact == make_fact(7, 8, "×")


def test_a_late_joiner_keeps_the_fact_dealt_to_them_and_the_timer_does_not_move():
    room, clock, _ = personal_room()
    ada, = add(room, 1)
    room.start(questions(2))
    room.deal(0, {ada.player_id: own(0, 7, 8)})
    clock.advance(3_000)
    late, = add(room, 1)
    theirs = own(0, 9, 9)
    assert room.deal_one(0, late.player_id, theirs) == theirs
    assert room.deal_one(0, late.player_id, own(0, 2, 2)) == theirs  # the first one stays
    room.deal(0, {late.player_id: own(0, 5, 5)})  # a deal never replaces a dealt fact either
    assert room.question_for(late.player_id) == theirs
    assert room.current.closes_at_ms == LIMIT
    ack, _ = answer(room, late, "81")
    assert ack.is_correct and ack.response_time_ms == 3_000


def test_a_withdrawn_answer_can_be_sent_again_against_the_same_own_fact():
    room, _clock, _ = personal_room()
    ada, bob = add(room, 2)
    room.start(questions(2))
    mine = own(0, 7, 8)
    room.deal(0, {ada.player_id: mine, bob.player_id: own(0, 3, 4)})
    first, _ = answer(room, ada, "56")
    room.withdraw(first)  # its commit failed
    assert ada.score == 0
    again, duplicate = answer(room, ada, "56")
    assert not duplicate and again.is_correct and again.question_id == mine.question_id
