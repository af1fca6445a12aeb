"""Every phase transition and timer of a room, driven by a fake clock (no sleeps)."""

import itertools
import random
import uuid
from decimal import Decimal

import pytest

from learning.questions import make_fact
from rooms import events
from rooms.room import (
    Phase,
    Player,
    Room,
    RoomConfig,
    RoomError,
    RoomQuestion,
    lobby_interval_ms,
    player_count_interval_ms,
)
from tests.support.fake_clock import FakeClock

LIMIT = 10_000


def make_room(count=3, auto_advance_ms=None, clock=None):
    clock = clock or FakeClock()
    published: list = []
    config = RoomConfig(room_id=uuid.uuid4(), code="123456", title="t", operation="×",
                        min_operand=1, max_operand=9, question_count=count, time_limit_ms=LIMIT,
                        auto_advance_ms=auto_advance_ms, teacher_id=uuid.uuid4(), screen_key="k")
    room = Room(config, clock=clock, scheduler=clock, publish=published.append)
    return room, clock, published


def timed(room, clock, published) -> list[int]:
    """The clock's time of each event `room` publishes from now on, beside `published`."""
    times: list[int] = []
    room._publish = lambda e: (published.append(e), times.append(clock.now))
    return times


def sent_at(times, published, kind) -> list[int]:
    return [t for t, e in zip(times, published, strict=True) if isinstance(e, kind)]


def questions(count=3):
    return [RoomQuestion(i, uuid.uuid4(), make_fact(i + 2, 3, "×")) for i in range(count)]


def add(room, n=1, connected=True):
    players = []
    for _ in range(n):
        p = Player(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), f"p{len(room.players)}", room.next_join_order())
        room.add_player(p)
        if connected:
            room.connect(p.player_id)
        players.append(p)
    return players


def answer(room, player, raw, index=None, attempt_id=None, *, commit=True):
    """Accept an answer and, unless `commit` is False, report it committed, as the game does
    once the writer stored it."""
    accepted, duplicate = room.accept_answer(player.player_id, room.index if index is None else index,
                                             raw, attempt_id or uuid.uuid4(), "keyboard")
    if commit and not duplicate:
        room.committed(accepted)
    return accepted, duplicate


def kinds(published):
    return [type(e).__name__ for e in published]


def test_lobby_to_question_to_reveal_to_finished():
    room, clock, published = make_room(count=2)
    _a, _b = add(room, 2)
    assert room.phase == Phase.LOBBY
    room.start(questions(2))
    assert (room.phase, room.index) == (Phase.QUESTION, 0)
    assert published[-1] == events.QuestionOpened(0, FakeClock.EPOCH_BASE + LIMIT)
    room.close_question()
    assert room.phase == Phase.REVEAL
    room.next()
    assert (room.phase, room.index) == (Phase.QUESTION, 1)
    room.close_question()
    room.next()
    assert room.phase == Phase.FINISHED
    assert isinstance(published[-1], events.GameOver)
    assert clock.pending() == 0


@pytest.mark.parametrize("action,phase", [("next", "lobby"), ("close_question", "lobby")])
def test_wrong_phase_is_refused(action, phase):
    room, _, _ = make_room()
    with pytest.raises(RoomError) as err:
        getattr(room, action)()
    assert err.value.code == "invalid_phase"


def test_start_twice_and_next_during_question_are_invalid_phase():
    room, _, _ = make_room()
    room.start(questions())
    for call in (lambda: room.start(questions()), room.next):
        with pytest.raises(RoomError) as err:
            call()
        assert err.value.code == "invalid_phase"


def test_question_closes_when_time_is_up():
    room, clock, published = make_room()
    add(room, 2)
    room.start(questions())
    clock.advance(LIMIT - 1)
    assert room.phase == Phase.QUESTION
    clock.advance(1)
    assert room.phase == Phase.REVEAL
    closed = [e for e in published if isinstance(e, events.QuestionClosed)]
    assert closed == [events.QuestionClosed(0, Decimal(6), 0, 0, None)]


def test_question_closes_when_every_connected_player_answered():
    room, clock, published = make_room()
    a, b = add(room, 2)
    add(room, 1, connected=False)  # joined, then left: not waited for
    room.start(questions())
    answer(room, a, "6")
    assert room.phase == Phase.QUESTION
    clock.advance(2000)
    answer(room, b, "7")
    assert room.phase == Phase.REVEAL
    closed = next(e for e in published if isinstance(e, events.QuestionClosed))
    assert (closed.answered, closed.correct, closed.average_response_time_ms) == (2, 1, 1000)


def test_disconnect_of_the_last_unanswered_player_closes():
    room, _, _ = make_room()
    a, b = add(room, 2)
    room.start(questions())
    answer(room, a, "6")
    room.disconnect(b.player_id)
    assert room.phase == Phase.REVEAL


def test_kick_of_the_last_unanswered_player_closes_and_refuses_further_answers():
    room, _, published = make_room()
    a, b = add(room, 2)
    room.start(questions())
    answer(room, a, "6")
    room.kick(b.player_id)
    assert room.phase == Phase.REVEAL
    assert events.PlayerKicked(b.player_id) in published
    room.next()
    with pytest.raises(RoomError) as err:
        answer(room, b, "9")
    assert err.value.code == "forbidden"
    with pytest.raises(RoomError) as err:
        room.kick(b.player_id)
    assert err.value.code == "not_found"


def test_auto_advance_from_reveal_and_finish_after_the_last():
    room, clock, published = make_room(count=2, auto_advance_ms=3000)
    add(room, 1)
    room.start(questions(2))
    clock.advance(LIMIT)
    assert room.phase == Phase.REVEAL
    clock.advance(2999)
    assert room.phase == Phase.REVEAL
    clock.advance(1)
    assert (room.phase, room.index) == (Phase.QUESTION, 1)
    clock.advance(LIMIT + 3000)
    assert room.phase == Phase.FINISHED
    assert kinds(published).count("GameOver") == 1


def test_manual_next_cancels_the_auto_advance_timer():
    room, clock, _ = make_room(count=3, auto_advance_ms=3000)
    add(room, 1)
    room.start(questions())
    room.close_question()
    room.next()
    clock.advance(3000)  # the old auto-advance must not skip question 1
    assert (room.phase, room.index) == (Phase.QUESTION, 1)


def test_end_from_any_phase_cancels_timers():
    room, clock, published = make_room(auto_advance_ms=1000)
    add(room, 1)
    room.start(questions())
    room.end()
    assert room.phase == Phase.FINISHED
    assert clock.pending() == 0
    assert kinds(published)[-2:] == ["QuestionClosed", "GameOver"]
    with pytest.raises(RoomError):
        room.end()


def test_scoring_and_streaks_with_server_measured_time():
    room, clock, _ = make_room(count=3)
    a, b = add(room, 2)
    room.start(questions())
    clock.advance(5000)
    first, dup = answer(room, a, "6")
    assert (first.points, first.response_time_ms, first.is_correct, dup) == (750, 5000, True, False)
    answer(room, b, "5")  # wrong
    room.next()
    second, _ = answer(room, a, "9")  # at 0 ms: 1000 + streak 2 bonus 100
    assert (second.points, second.streak_after) == (1100, 2)
    answer(room, b, "9")
    room.next()
    clock.advance(LIMIT)  # nobody answers: streaks reset
    assert a.streak == 0 and a.score == 1850


def test_acceptance_rules_in_one_place():
    room, _clock, _ = make_room()
    a, b = add(room, 2)
    with pytest.raises(RoomError) as err:
        answer(room, a, "6", index=0)
    assert err.value.code == "no_open_question"
    room.start(questions())
    for raw, index, code in [("6", 1, "wrong_index"), ("six", 0, "invalid_answer")]:
        with pytest.raises(RoomError) as err:
            answer(room, a, raw, index=index)
        assert err.value.code == code
    attempt = uuid.uuid4()
    first, _ = answer(room, a, "6", attempt_id=attempt)
    again, duplicate = answer(room, a, "6", attempt_id=attempt)
    assert again is first and duplicate
    with pytest.raises(RoomError) as err:
        answer(room, a, "6")
    assert err.value.code == "already_answered"
    with pytest.raises(RoomError) as err:  # someone else's attempt_id
        answer(room, b, "6", attempt_id=attempt)
    assert err.value.code == "invalid_payload"
    assert a.answered == 1 and a.score == 1000


def test_too_late_before_and_after_the_timer_ran():
    room, clock, _ = make_room()
    a, b = add(room, 2)
    room.start(questions())
    clock.now += LIMIT + 1  # the deadline passed, the timer has not run yet
    with pytest.raises(RoomError) as err:
        answer(room, a, "6")
    assert err.value.code == "too_late"
    clock.advance(0)
    with pytest.raises(RoomError) as err:
        answer(room, b, "6", index=0)
    assert err.value.code == "too_late"


def test_withdraw_undoes_an_answer_whose_commit_failed():
    room, _, _ = make_room()
    a, _b = add(room, 2)
    room.start(questions())
    accepted, _ = answer(room, a, "6")
    room.withdraw(accepted)
    assert (a.score, a.streak, a.answered) == (0, 0, 0)
    again, duplicate = answer(room, a, "6", attempt_id=accepted.attempt_id)
    assert not duplicate and again.points == 1000


def test_progress_is_throttled_to_four_a_second():
    room, clock, published = make_room()
    times = timed(room, clock, published)
    players = add(room, 40)
    room.start(questions())
    for p in players[:-1]:
        answer(room, p, "6")
        clock.advance(10)  # 39 answers within 0.39 s
    clock.advance(1000)
    sent = [(t, e) for t, e in zip(times, published, strict=True) if isinstance(e, events.AnswerProgress)]
    assert [t for t, _ in sent] == [0, 250, 500]  # not 39 broadcasts: 3, 250 ms apart
    assert sent[-1][1].answered == 39 and sent[-1][1].players == 40


def test_the_live_leaderboard_is_throttled_and_stops_at_close():
    room, clock, published = make_room()
    times = timed(room, clock, published)
    room.board_changed()  # in the lobby: nothing to report
    players = add(room, 3)
    room.start(questions())
    for _ in range(20):  # commits land every 20 ms for 0.4 s
        room.board_changed()
        clock.advance(20)
    answer(room, players[0], "6")
    room.close_question()
    room.board_changed()  # a late commit after the close: the close's own board covers it
    clock.advance(1000)
    moved = [(t, e) for t, e in zip(times, published, strict=True)
             if isinstance(e, events.LeaderboardMoved)]
    assert [t for t, _ in moved] == [0, 250]  # not 20 broadcasts: 2, 250 ms apart
    assert all(e.index == 0 for _, e in moved)


def test_lock_refuses_joins_and_finished_refuses_everything():
    room, _, _ = make_room()
    room.lock(True)
    with pytest.raises(RoomError) as err:
        room.check_can_join()
    assert err.value.code == "room_locked"
    room.lock(False)
    room.check_can_join()
    room.start(questions())
    room.end()
    with pytest.raises(RoomError) as err:
        room.check_can_join()
    assert err.value.code == "game_over"


def test_a_burst_of_joins_gives_two_lobby_reports_the_last_after_the_last_join():
    room, clock, published = make_room()
    times = timed(room, clock, published)
    for _ in range(50):
        add(room)
        clock.advance(4)  # 50 joins within 0.2 s
    last_join = clock.now
    clock.advance(1000)
    sent = sent_at(times, published, events.LobbyChanged)
    assert sent == [0, 250]  # the first join at once, the other 49 in one report
    assert sent[-1] >= last_join  # so the last report shows all 50 (it reads the room)
    assert clock.pending() == 0


def test_lobby_reports_stay_four_a_second_during_a_long_storm():
    room, clock, published = make_room()
    for _ in range(400):
        add(room)
        clock.advance(5)  # 2 s of joins
    clock.advance(1000)
    lobbies = [e for e in published if isinstance(e, events.LobbyChanged)]
    assert len(lobbies) == 9  # t = 0, 250, …, 2000: at most one per 250 ms, and a final one


def test_lobby_reports_space_out_as_an_assembly_fills():
    """Each lobby report costs a copy per student: past 500 players they are spaced so a
    filling room sends about 2,000 student copies a second, whatever its size."""
    assert [lobby_interval_ms(n) for n in (1, 30, 500, 1000, 2000, 5000)] == [250, 250, 250, 500,
                                                                             1000, 2500]
    room, clock, published = make_room()
    times = timed(room, clock, published)
    for _ in range(3000):
        add(room)
        clock.advance(2)  # 500 joins a second for 6 s
    clock.advance(5000)
    sent = sent_at(times, published, events.LobbyChanged)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert gaps[:3] == [250, 250, 250]  # a class-sized room: 4 a second
    assert min(gaps) >= 250 and max(gaps) >= 1000 and len(sent) < 16
    assert sent[-1] >= 2 * 2999  # the last report came after the last join


def test_a_pending_lobby_report_goes_out_before_the_first_question():
    room, clock, published = make_room()
    add(room, 3)
    clock.advance(1)
    add(room)  # reported at 250 ms at the earliest…
    room.lock(True)
    room.start(questions())  # …but the question must not overtake it
    assert kinds(published)[-3:] == ["LobbyChanged", "PlayerCountChanged", "QuestionOpened"]
    clock.advance(1500)
    assert kinds(published).count("LobbyChanged") == 2
    assert kinds(published).count("PlayerCountChanged") == 2


def test_lock_and_kick_are_reported_in_the_lobby_too():
    room, clock, published = make_room()
    a, _b = add(room, 2)
    clock.advance(1000)
    room.kick(a.player_id)
    clock.advance(1)
    assert kinds(published)[-3:] == ["PlayerKicked", "LobbyChanged", "PlayerCountChanged"]
    room.lock(True)
    clock.advance(1500)
    assert kinds(published)[-1] == "LobbyChanged"  # the lock changes the list, not the count
    assert kinds(published).count("PlayerCountChanged") == 2


def test_students_hear_the_count_once_a_second_while_the_staff_see_joins_four_times_a_second():
    """The students' count is a copy per student: a class joining one by one gets it once a
    second, the last one after the last join; the teacher's list keeps its 4 a second."""
    assert [player_count_interval_ms(n) for n in (1, 30, 2000, 5000)] == [1000, 1000, 1000, 2500]
    room, clock, published = make_room()
    times = timed(room, clock, published)
    for _ in range(30):
        add(room)
        clock.advance(100)  # 30 students over 3 s
    last_join = clock.now - 100
    clock.advance(2000)
    staff = sent_at(times, published, events.LobbyChanged)
    counts = sent_at(times, published, events.PlayerCountChanged)
    assert staff == list(range(0, 3001, 250))
    assert counts == [0, 1000, 2000, 3000]
    assert counts[-1] >= last_join and room.seated == 30
    assert clock.pending() == 0


def test_reservations_hold_nicknames_and_join_orders_until_released():
    room, _, _ = make_room()
    a = room.reserve("Ada")
    b = room.reserve("Bo")
    assert (a.join_order, b.join_order) == (1, 2)
    with pytest.raises(RoomError) as err:
        room.reserve("ADA")  # case-insensitively, while Ada's row is still being written
    assert err.value.code == "nickname_taken"
    room.release(a)
    again = room.reserve("Ada")
    assert again.join_order == 3  # never reused: a late failure may have committed order 1
    assert room.free_variant("Bo") == "Bo 2"


def test_a_kicked_players_nickname_is_free_and_restored_players_count():
    room, _, _ = make_room()
    kept = Player(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "Kept", 7)
    gone = Player(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "Gone", 9, kicked=True)
    room.restore_player(kept)
    room.restore_player(gone)
    assert room.nickname_taken("kept") and not room.nickname_taken("Gone")
    assert room.reserve("New").join_order == 10
    assert room.player_of_user(gone.user_id) is gone
    room.kick(kept.player_id)
    assert not room.nickname_taken("Kept")



def test_everyone_answered_counters_agree_with_a_scan_through_random_comings_and_goings():
    """The O(1) "has everyone answered" counters against their definition (connected players
    with a committed answer), over many random connects, disconnects, kicks, answers,
    commits and withdrawn answers."""
    rng = random.Random(20261124)
    for _ in range(40):
        room, _, _ = make_room(count=5)
        players = add(room, rng.randint(1, 6), connected=False)
        room.start(questions(5))
        committing = []
        for _step in range(80):
            if room.phase == Phase.REVEAL:
                room.next()
                committing.clear()
            if room.phase != Phase.QUESTION:
                break
            p, move = rng.choice(players), rng.random()
            closing_move = False
            if move < 0.3 and not p.kicked:
                room.connect(p.player_id)
            elif move < 0.5:
                closing_move = p.connections > 0  # a disconnect of nobody changes nothing
                room.disconnect(p.player_id)
            elif move < 0.55 and not p.kicked:
                room.kick(p.player_id)
                closing_move = True
            elif move < 0.62 and committing:
                room.withdraw(committing.pop(rng.randrange(len(committing))))
            elif move < 0.75 and committing:
                room.committed(committing.pop(rng.randrange(len(committing))))
                closing_move = True
            elif not p.kicked and not room.answered_current(p.player_id):
                committing.append(answer(room, p, "1", commit=False)[0])
            active = [q for q in players if q.active]
            record = room.current
            answered = [q for q in active if q.player_id in record.committed]
            assert (room._active, room._active_answered) == (len(active), len(answered))
            assert room.seated == len(room.roster())
            if closing_move and room.phase == Phase.QUESTION:
                assert not active or len(answered) < len(active)  # open only while someone is left
