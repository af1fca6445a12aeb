"""One live room as an explicit state machine: lobby → question → reveal → … → finished.

Every decision about a room is made here, synchronously, so on the asyncio loop it is atomic:
nothing can interleave between "is this answer acceptable" and "it is recorded". The room owns
its timers (question deadline, auto-advance, progress throttle) and cancels them when it
moves on or is disposed. What happens is published as events, in order, to one listener.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from learning.accommodations import DEFAULT as NO_ACCOMMODATION
from learning.accommodations import Accommodation
from learning.answers import InvalidAnswer, parse_answer
from learning.questions import Fact
from rooms import events
from rooms.clock import Cancellable, Clock, Scheduler
from rooms.nicknames import nickname_key
from rooms.scoring import score_answer
from rooms.throttle import Throttle

PROGRESS_INTERVAL_MS = 250  # answer_progress at most 4 times a second per room
LOBBY_INTERVAL_MS = 250  # the staff's lobby at most 4 times a second per room, however fast students join
PLAYER_COUNT_INTERVAL_MS = 1000  # the students' count at most once a second per room
BOARD_INTERVAL_MS = 250  # the live leaderboard at most 4 times a second per room
# An untimed student's answer is measured up to this (the answer flow's limit for any answer).
UNTIMED_CAP_MS = 10 * 60 * 1000
# Seats in one room: twice the largest assembly we promise (5,000), so a school never meets
# it, while a runaway script still cannot grow one room's memory without bound.
ROOM_CAPACITY = 10_000


def lobby_interval_ms(seated: int) -> int:
    """How often a room of `seated` players sends the teacher and the projector its lobby.
    Each report is the whole list, so past 500 players it is spaced out as the room grows
    (once a second at 2,000, every 2.5 s at 5,000)."""
    return max(LOBBY_INTERVAL_MS, seated // 2)


def player_count_interval_ms(seated: int) -> int:
    """How often a room of `seated` players tells its students how many have joined. Each
    report is a copy per student, the one lobby message whose cost grows with the room: a
    count that moves once a second still reads as live, and past 2,000 players a filling room
    sends about 2,000 student copies a second whatever its size. Measured: at 5,000 joining
    students a 4-a-second lobby was most of the server's CPU and held joins to ~55 a second."""
    return max(PLAYER_COUNT_INTERVAL_MS, seated // 2)


class Phase(StrEnum):
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"


class RoomError(Exception):
    """A refusal with the contract's error code; `retry_after_ms` when trying again soon is
    expected to work (the room is moving to another worker)."""

    def __init__(self, code: str, message: str, *, retry_after_ms: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


@dataclass(frozen=True)
class RoomConfig:
    room_id: uuid.UUID
    code: str
    title: str | None
    operation: str
    min_operand: int | None
    max_operand: int | None
    question_count: int
    time_limit_ms: int
    auto_advance_ms: int | None
    teacher_id: uuid.UUID
    screen_key: str
    track_id: uuid.UUID | None = None
    # Personal rounds: each player answers their own fact (dealt by the game when the round
    # opens); `RoomQuestion`s of `start` are then the rounds' fallback facts.
    personal: bool = False
    # Team mode: the teams' names, by index (2..8 of them); empty when everyone plays alone.
    teams: tuple[str, ...] = ()
    # "speed" (the contract's formula) or "accuracy" (a correct answer scores in full).
    scoring: str = "speed"


@dataclass(frozen=True)
class RoomQuestion:
    index: int
    question_id: uuid.UUID
    fact: Fact


@dataclass
class Player:
    player_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    nickname: str
    join_order: int
    score: int = 0
    streak: int = 0
    correct: int = 0
    answered: int = 0
    total_response_ms: int = 0
    connections: int = 0
    kicked: bool = False
    team: int | None = None  # in team mode, the index of the player's team
    first_question: int = 0  # the first question the player counts for in their team's mean
    # Their teacher's accommodations: more time on each question (the class moves on when the
    # last student with time left has answered or run out of it), accuracy scoring.
    accommodation: Accommodation = NO_ACCOMMODATION

    @property
    def active(self) -> bool:
        return self.connections > 0 and not self.kicked


@dataclass(frozen=True)
class Reservation:
    """A nickname and a join order held for a student whose player row is being written."""

    nickname: str
    join_order: int
    user_id: uuid.UUID | None
    team: int | None = None
    first_question: int = 0


@dataclass
class Answer:
    """An accepted answer. `streak_before`/`score_before` let a failed commit be undone."""

    attempt_id: uuid.UUID
    player_id: uuid.UUID
    index: int
    question_id: uuid.UUID
    raw_input: str
    user_answer: Decimal
    correct_answer: Decimal
    is_correct: bool
    response_time_ms: int
    points: int
    streak_before: int
    streak_after: int
    score_after: int
    input_method: str
    answered_at_epoch_ms: int


@dataclass
class QuestionRecord:
    question: RoomQuestion
    opened_at_ms: int  # monotonic
    closes_at_ms: int  # monotonic
    closes_at_epoch_ms: int
    answers: dict[uuid.UUID, Answer] = field(default_factory=dict)
    # Players whose answer is committed: only these count toward "everyone answered" (an
    # answer still committing may yet fail and be withdrawn).
    committed: set[uuid.UUID] = field(default_factory=set)
    # A personal round: each player's own question (a player missing here gets `question`).
    personal: dict[uuid.UUID, RoomQuestion] = field(default_factory=dict)
    # False while a personal round's facts are being chosen: nobody has a question yet.
    dealt: bool = True
    # After a takeover: how long each player lost with the dead worker took to come back after
    # the room was rebuilt; not charged to their response time.
    away_ms: dict[uuid.UUID, int] = field(default_factory=dict)


class Room:
    def __init__(self, config: RoomConfig, *, clock: Clock, scheduler: Scheduler,
                 publish: Callable[[events.RoomEvent], None]) -> None:
        self.config = config
        self._clock = clock
        self._scheduler = scheduler
        self._publish = publish
        self.phase = Phase.LOBBY
        self.locked = False
        self.players: dict[uuid.UUID, Player] = {}
        self.questions: list[RoomQuestion] = []
        self.records: list[QuestionRecord] = []
        self.attempts: dict[uuid.UUID, Answer] = {}
        # Kept as players come and go, so a join costs O(1) however full the room is.
        self._nicknames: set[str] = set()  # of players not kicked, and of reservations
        self._by_user: dict[uuid.UUID, uuid.UUID] = {}
        # Counted as players connect, leave, are kicked and answer, so "has everyone answered"
        # is O(1) per answer instead of a scan of the room (4 M checks a question at 2,000).
        self._seated = 0  # players not kicked
        self._active = 0  # players connected and not kicked
        self._active_answered = 0  # of those, how many have a committed answer to the current question
        self._next_join_order = 1
        # Players not kicked on each team, and reservations on their way to it: what places a
        # new player on the team with fewest.
        self._team_seats = [0] * len(config.teams)
        # Players with more (or unlimited) time than the class: after the class's deadline
        # the question stays open until the last of them has answered or run out of time.
        self._extended: set[uuid.UUID] = set()
        self._timer: Cancellable | None = None
        # After a takeover, players not connected anywhere (lost with the dead worker, most
        # likely on their way back): until they are back or the grace ends, the question does
        # not close because "everyone" answered.
        self._expected: set[uuid.UUID] = set()
        self._expected_since_ms = 0
        self._grace: Cancellable | None = None
        self._progress = Throttle(PROGRESS_INTERVAL_MS, self._report_progress, clock=clock,
                                  scheduler=scheduler)
        self._lobby = Throttle(lambda: lobby_interval_ms(self._seated), self._report_lobby, clock=clock,
                               scheduler=scheduler)
        self._player_count = Throttle(lambda: player_count_interval_ms(self._seated),
                                      self._report_player_count, clock=clock, scheduler=scheduler)
        self._board = Throttle(BOARD_INTERVAL_MS, self._report_board, clock=clock, scheduler=scheduler)

    # --- views ---------------------------------------------------------------------------

    @property
    def index(self) -> int:
        return len(self.records) - 1

    @property
    def total(self) -> int:
        return self.config.question_count

    @property
    def current(self) -> QuestionRecord | None:
        return self.records[-1] if self.records else None

    @property
    def seated(self) -> int:
        """Players in the room (not kicked), connected or not."""
        return self._seated

    def roster(self) -> list[Player]:
        return sorted((p for p in self.players.values() if not p.kicked), key=lambda p: p.join_order)

    def question_for(self, player_id: uuid.UUID, index: int | None = None) -> RoomQuestion | None:
        """The question `player_id` answers at `index` (default: the current one): the round's
        own, or their own in a personal round; None while a personal round is being dealt."""
        record = self.records[self.index if index is None else index] if self.records else None
        if record is None or not record.dealt:
            return None
        return record.personal.get(player_id, record.question)

    def answered_current(self, player_id: uuid.UUID) -> bool:
        record = self.current
        return bool(record and player_id in record.answers)

    def next_join_order(self) -> int:
        return self._next_join_order

    def player_of_user(self, user_id: uuid.UUID) -> Player | None:
        player_id = self._by_user.get(user_id)
        return self.players.get(player_id) if player_id is not None else None

    def nickname_taken(self, nickname: str) -> bool:
        return nickname_key(nickname) in self._nicknames

    def free_variant(self, nickname: str) -> str:
        """`nickname`, or "nickname 2", "nickname 3"… whichever nobody in the room has."""
        candidate, n = nickname, 1
        while self.nickname_taken(candidate):
            n += 1
            candidate = f"{nickname[:17]} {n}"
        return candidate

    # --- players -------------------------------------------------------------------------

    def check_can_join(self) -> None:
        if self.phase == Phase.FINISHED:
            raise RoomError("game_over", "this game is over")
        if self.locked:
            raise RoomError("room_locked", "the teacher has locked this room")

    def reserve(self, nickname: str, user_id: uuid.UUID | None = None) -> Reservation:
        """Hold `nickname` and the next join order while the player is written, or RoomError.

        Synchronous, so on the event loop two joins can never take the same nickname or
        order; the slow part (the database) then runs outside any lock.
        """
        self.check_can_join()
        if self.nickname_taken(nickname):
            raise RoomError("nickname_taken", "someone in this room already has that nickname")
        if len(self._nicknames) >= ROOM_CAPACITY:  # players not kicked, and reservations
            raise RoomError("room_full", f"this room is full ({ROOM_CAPACITY} players)")
        team = None
        if self._team_seats:  # balanced as they come: the team with fewest players
            team = min(range(len(self._team_seats)), key=lambda t: (self._team_seats[t], t))
            self._team_seats[team] += 1
        reservation = Reservation(nickname, self._next_join_order, user_id, team,
                                  self.next_counted_question())
        self._nicknames.add(nickname_key(nickname))
        self._next_join_order += 1
        return reservation

    def next_counted_question(self) -> int:
        """The first question a player joining now counts for in their team: the open one (they
        may still answer it), else the next."""
        return self.index if self.phase == Phase.QUESTION else self.index + 1

    def release(self, reservation: Reservation) -> None:
        """The player could not be written: the nickname is free again. The join order is
        not reused (a write that failed late may still have committed it): it stays a gap,
        and the order of the players stays exact."""
        self._nicknames.discard(nickname_key(reservation.nickname))
        self._unreserve_team(reservation)

    def add_player(self, player: Player, reservation: Reservation | None = None) -> None:
        """A written player; `reservation` is the one it was written from (its team seat is
        the player's now)."""
        if reservation is not None:
            self._unreserve_team(reservation)
        self.restore_player(player)
        self._lobby.request()
        self._player_count.request()

    def _unreserve_team(self, reservation: Reservation) -> None:
        if reservation.team is not None:
            self._team_seats[reservation.team] -= 1

    def restore_player(self, player: Player) -> None:
        """A player as the database has it (a written reservation, or a rebuilt room)."""
        if player.player_id in self.players:
            raise ValueError(f"player {player.player_id} is in the room already")
        self.players[player.player_id] = player
        self._by_user[player.user_id] = player.player_id
        if player.accommodation.time_multiplier != 1:
            self._extended.add(player.player_id)
        if not player.kicked:
            self._nicknames.add(nickname_key(player.nickname))
            self._seated += 1
            if player.team is not None and player.team < len(self._team_seats):
                self._team_seats[player.team] += 1
            if player.active:
                self._count_activity(player, +1)
        self._next_join_order = max(self._next_join_order, player.join_order + 1)

    def connect(self, player_id: uuid.UUID) -> Player:
        player = self.players.get(player_id)
        if player is None or player.kicked:
            raise RoomError("room_not_found", "room not found")
        player.connections += 1
        if player.connections == 1:
            self._count_activity(player, +1)
        if player_id in self._expected:
            self._expected.discard(player_id)
            record = self.current
            if record is not None and self.phase == Phase.QUESTION:
                record.away_ms[player_id] = self._clock.monotonic_ms() - self._expected_since_ms
            self._close_if_everyone_answered()
        return player

    def disconnect(self, player_id: uuid.UUID) -> None:
        player = self.players.get(player_id)
        if player is None:
            return
        if player.connections == 0:
            return
        player.connections -= 1
        if player.connections == 0 and not player.kicked:
            self._count_activity(player, -1)
        self._close_if_everyone_answered()
        self._close_if_time_is_up()

    def kick(self, player_id: uuid.UUID) -> Player:
        player = self.players.get(player_id)
        if player is None or player.kicked:
            raise RoomError("not_found", "no such player in this room")
        if player.active:
            self._count_activity(player, -1)
        self._seated -= 1
        self._expected.discard(player_id)
        player.kicked = True
        if player.team is not None and player.team < len(self._team_seats):
            self._team_seats[player.team] -= 1
        self._nicknames.discard(nickname_key(player.nickname))
        self._publish(events.PlayerKicked(player_id))
        self._lobby.request()
        self._player_count.request()
        self._close_if_everyone_answered()
        self._close_if_time_is_up()
        return player

    def move(self, player_id: uuid.UUID, team: int) -> Player:
        """The teacher puts a player on another team, in the lobby (a team's questions are
        its members' from the first one on)."""
        if self.phase != Phase.LOBBY:
            raise RoomError("invalid_phase", "players change teams in the lobby, before the game starts")
        if not 0 <= team < len(self._team_seats):
            raise RoomError("not_found", "no such team in this room")
        player = self.players.get(player_id)
        if player is None or player.kicked:
            raise RoomError("not_found", "no such player in this room")
        if player.team is not None:
            self._team_seats[player.team] -= 1
        self._team_seats[team] += 1
        player.team = team
        self._publish(events.TeamChanged(player_id))
        self._lobby.request()
        return player

    def team_sizes(self) -> list[int]:
        """Players not kicked on each team (a reservation being written included)."""
        return list(self._team_seats)

    def lock(self, locked: bool) -> None:
        if self.phase == Phase.FINISHED:
            raise RoomError("invalid_phase", "the game is over")
        self.locked = locked
        self._lobby.request()

    # --- the teacher's controls ----------------------------------------------------------

    def start(self, questions: list[RoomQuestion]) -> None:
        if self.phase != Phase.LOBBY:
            raise RoomError("invalid_phase", f"cannot start in phase {self.phase}")
        if len(questions) != self.config.question_count:
            raise ValueError("a game needs exactly question_count questions")
        self.questions = questions
        self._open_question(0)

    def next(self) -> None:
        if self.phase != Phase.REVEAL:
            raise RoomError("invalid_phase", f"next is for the reveal phase, not {self.phase}")
        self._advance()

    def close_question(self) -> None:
        if self.phase != Phase.QUESTION:
            raise RoomError("invalid_phase", f"no open question in phase {self.phase}")
        self._close()

    def end(self) -> None:
        if self.phase == Phase.FINISHED:
            raise RoomError("invalid_phase", "the game is already over")
        if self.phase == Phase.QUESTION:
            self._close()
        self._finish()

    def dispose(self) -> None:
        self._cancel_timers()
        self._lobby.cancel()
        self._player_count.cancel()

    def expect(self, player_ids: list[uuid.UUID], within_ms: int) -> None:
        """A rebuilt room's open question waits up to `within_ms` for these players (not
        connected anywhere when it was rebuilt: lost with the worker that died) before it may
        close because everyone connected answered; their time away is not charged to them."""
        self._expected = set(player_ids)
        self._expected_since_ms = self._clock.monotonic_ms()
        if self._grace is not None:
            self._grace.cancel()
        self._grace = self._scheduler.call_later(within_ms, self._end_grace) if self._expected else None

    def _end_grace(self) -> None:
        self._grace = None
        self._expected.clear()
        self._close_if_everyone_answered()

    # --- answers -------------------------------------------------------------------------

    def accept_answer(self, player_id: uuid.UUID, index: int, raw_input: str,
                      attempt_id: uuid.UUID, input_method: str) -> tuple[Answer, bool]:
        """(the answer, duplicate?) or RoomError; the one place that decides acceptance."""
        previous = self.attempts.get(attempt_id)
        if previous is not None:
            if previous.player_id != player_id:
                raise RoomError("invalid_payload", "attempt_id was already used")
            return previous, True
        player = self.players.get(player_id)
        if player is None or player.kicked:
            raise RoomError("forbidden", "you are not in this room")
        record = self.current
        now = self._clock.monotonic_ms()
        if self.phase != Phase.QUESTION or record is None:
            if self.phase == Phase.REVEAL and index == self.index:
                raise RoomError("too_late", "time is up for this question")
            raise RoomError("no_open_question", "no question is open")
        if index != self.index:
            raise RoomError("wrong_index", f"question {self.index} is open, not {index}")
        extra = self.extra_ms(player)
        if extra is not None and now > record.closes_at_ms + extra:
            raise RoomError("too_late", "time is up for this question")
        if player_id in record.answers:
            raise RoomError("already_answered", "you already answered this question")
        question = self.question_for(player_id)
        if question is None:  # a personal round whose facts are still being chosen
            raise RoomError("no_open_question", "your question is on its way")
        try:
            user_answer = parse_answer(raw_input)
        except InvalidAnswer as exc:
            raise RoomError("invalid_answer", str(exc)) from None
        fact = question.fact
        # Measured by the server from the question's broadcast to the answer's arrival: the
        # delivery delay counts against the student, so it can never be shorter than real
        # (but for a takeover's outage: docs/architecture.md, "Failover").
        # An accommodated student's time is measured the same way, against their own limit;
        # it is the true time, which the answer flow's fluency rules read.
        elapsed = now - record.opened_at_ms - record.away_ms.get(player_id, 0)
        limit = self.time_limit_for(player)
        response_time_ms = min(max(elapsed, 0), UNTIMED_CAP_MS if limit is None else limit)
        is_correct = user_answer == fact.correct_answer
        accuracy = (self.config.scoring == "accuracy" or player.accommodation.accuracy_scoring
                    or limit is None)
        scored = score_answer(is_correct=is_correct, response_time_ms=response_time_ms,
                              time_limit_ms=limit or UNTIMED_CAP_MS, streak_before=player.streak,
                              accuracy=accuracy)
        answer = Answer(
            attempt_id=attempt_id, player_id=player_id, index=index,
            question_id=question.question_id, raw_input=raw_input.strip(),
            user_answer=user_answer, correct_answer=fact.correct_answer, is_correct=is_correct,
            response_time_ms=response_time_ms, points=scored.points,
            streak_before=player.streak, streak_after=scored.streak,
            score_after=player.score + scored.points, input_method=input_method,
            answered_at_epoch_ms=self._clock.epoch_ms())
        self._apply(player, answer)
        record.answers[player_id] = answer
        self.attempts[attempt_id] = answer
        self._progress.request()
        return answer, False

    def time_limit_for(self, player: Player) -> int | None:
        """The time `player` has for a question: the class's, or more by their accommodation;
        None: no limit."""
        return player.accommodation.time_limit_ms(self.config.time_limit_ms)

    def extra_ms(self, player: Player) -> int | None:
        """How much longer than the class `player` may answer; None: without a limit."""
        limit = self.time_limit_for(player)
        return None if limit is None else limit - self.config.time_limit_ms

    def closes_at_epoch_for(self, player: Player, index: int) -> int | None:
        """When the question at `index` closes for `player` (server epoch ms); None: never by
        the clock (untimed)."""
        extra = self.extra_ms(player)
        return None if extra is None else self.records[index].closes_at_epoch_ms + extra

    def extended_players(self) -> list[Player]:
        """The players, not kicked, whose time differs from the class's."""
        return [p for pid in self._extended if not (p := self.players[pid]).kicked]

    def committed(self, answer: Answer) -> None:
        """`answer` is durably stored: it now counts toward "everyone answered" (the question
        may close). An answer is counted only once committed, so one whose commit fails, and is
        withdrawn, never closed a question early."""
        if not 0 <= answer.index < len(self.records):
            return
        record = self.records[answer.index]
        if record.answers.get(answer.player_id) is not answer or answer.player_id in record.committed:
            return
        record.committed.add(answer.player_id)
        player = self.players[answer.player_id]
        if answer.index == self.index and player.active:
            self._active_answered += 1
        self._close_if_everyone_answered()
        self._close_if_time_is_up()

    def settle(self, answer: Answer, *, points: int, response_time_ms: int) -> None:
        """The writer found `answer`'s attempt_id stored already (an earlier send was committed
        although its sender was told otherwise): the stored row's points and time stand, not
        this re-scoring of the resend."""
        player = self.players[answer.player_id]
        player.score += points - answer.points
        player.total_response_ms += response_time_ms - answer.response_time_ms
        answer.score_after += points - answer.points
        answer.points, answer.response_time_ms = points, response_time_ms

    def withdraw(self, answer: Answer) -> None:
        """Undo an accepted answer whose commit failed: the student may answer again."""
        player = self.players[answer.player_id]
        player.score -= answer.points
        player.answered -= 1
        player.correct -= int(answer.is_correct)
        player.total_response_ms -= answer.response_time_ms
        if player.streak == answer.streak_after:
            player.streak = answer.streak_before
        self.attempts.pop(answer.attempt_id, None)
        if 0 <= answer.index < len(self.records):
            record = self.records[answer.index]
            if record.answers.get(answer.player_id) is answer:
                del record.answers[answer.player_id]
                if answer.player_id in record.committed:
                    record.committed.discard(answer.player_id)
                    if answer.index == self.index and player.active:
                        self._active_answered -= 1

    def restore_answer(self, answer: Answer) -> None:
        """Replay a committed answer while rebuilding a room (after a restart)."""
        player = self.players[answer.player_id]
        self._apply(player, answer)
        self.attempts[answer.attempt_id] = answer
        self.records[answer.index].answers[answer.player_id] = answer
        self.records[answer.index].committed.add(answer.player_id)
        if answer.index == self.index and player.active:
            self._active_answered += 1

    def restore_position(self, questions: list[RoomQuestion], opened: int, phase: Phase,
                         remaining_ms: int) -> None:
        """Put a rebuilt room where it was: `opened` questions shown, the last one in `phase`."""
        self.questions = questions
        now, epoch = self._clock.monotonic_ms(), self._clock.epoch_ms()
        for i in range(opened):
            self.records.append(QuestionRecord(questions[i], now, now, epoch))
        self.phase = phase
        if phase == Phase.QUESTION and self.records:
            record = self.records[-1]
            record.closes_at_ms = now + remaining_ms
            record.closes_at_epoch_ms = epoch + remaining_ms
            # Response times go on from where the question was when it stopped being served
            # (the caller gives the time left then): the outage is nobody's.
            record.opened_at_ms = now - (self.config.time_limit_ms - remaining_ms)
            self._timer = self._scheduler.call_later(remaining_ms, self._on_deadline)
        elif phase == Phase.REVEAL and self.config.auto_advance_ms is not None and self.records:
            self._timer = self._scheduler.call_later(self.config.auto_advance_ms, self._on_auto_advance)

    def deal(self, index: int, questions: dict[uuid.UUID, RoomQuestion]) -> None:
        """A personal round's facts are chosen: each player's own question. The shared timer
        starts now, when the round can reach the students (choosing took a database round
        trip that must not count against anyone); `closes_at` is the same for everyone.
        Players who already hold a question for this round (a late joiner) keep it."""
        record = self.records[index]
        for player_id, question in questions.items():
            record.personal.setdefault(player_id, question)
        if record.dealt:
            return
        record.dealt = True
        if self.phase == Phase.QUESTION and index == self.index:
            now, epoch = self._clock.monotonic_ms(), self._clock.epoch_ms()
            limit = self.config.time_limit_ms
            record.opened_at_ms, record.closes_at_ms = now, now + limit
            record.closes_at_epoch_ms = epoch + limit
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._scheduler.call_later(limit, self._on_deadline)

    def deal_one(self, index: int, player_id: uuid.UUID, question: RoomQuestion) -> RoomQuestion:
        """A player who joined during a personal round gets their own question (the timer
        does not move); the question they hold for the round is returned."""
        return self.records[index].personal.setdefault(player_id, question)

    def reset_streaks_of_missing(self, index: int) -> None:
        record = self.records[index]
        for player in self.players.values():
            if player.player_id not in record.answers:
                player.streak = 0

    # --- internals -----------------------------------------------------------------------

    @staticmethod
    def _apply(player: Player, answer: Answer) -> None:
        player.score += answer.points
        player.streak = answer.streak_after
        player.answered += 1
        player.correct += int(answer.is_correct)
        player.total_response_ms += answer.response_time_ms

    def _open_question(self, index: int) -> None:
        self._lobby.flush()  # the lobby as it was goes out before the question
        self._player_count.flush()
        self._cancel_timers()
        now, epoch = self._clock.monotonic_ms(), self._clock.epoch_ms()
        limit = self.config.time_limit_ms
        record = QuestionRecord(self.questions[index], now, now + limit, epoch + limit,
                                dealt=not self.config.personal)
        self.records.append(record)
        self._active_answered = 0
        self.phase = Phase.QUESTION
        self._timer = self._scheduler.call_later(limit, self._on_deadline)
        self._publish(events.QuestionOpened(index=index, closes_at_epoch_ms=record.closes_at_epoch_ms))

    def _on_deadline(self) -> None:
        self._timer = None
        if self.phase != Phase.QUESTION:
            return
        record = self.current
        assert record is not None
        now = self._clock.monotonic_ms()
        until = self._extended_until(record, now)
        if until is None:
            self._close()
        elif until != math.inf:
            self._timer = self._scheduler.call_later(int(until - now), self._on_deadline)
        # An untimed student still answering: the question waits for their answer, their
        # leaving, or the teacher's close_question.

    def _extended_until(self, record: QuestionRecord, now: int) -> float | None:
        """The latest deadline of a connected student with more time than the class who has not
        answered and may still (math.inf: untimed), or None when no one may."""
        latest: float | None = None
        for player_id in self._extended:
            player = self.players[player_id]
            if not player.active or player_id in record.answers:
                continue
            extra = self.extra_ms(player)
            if extra is None:
                return math.inf
            end = record.closes_at_ms + extra
            if end > now and (latest is None or end > latest):
                latest = end
        return latest

    def _close_if_time_is_up(self) -> None:
        """Past the class's deadline, the question closes as soon as no student with more time
        is still answering (one answered, left or was removed)."""
        record = self.current
        if self.phase != Phase.QUESTION or record is None or not self._extended:
            return
        now = self._clock.monotonic_ms()
        if now >= record.closes_at_ms and self._extended_until(record, now) is None:
            self._close()

    def _close_if_everyone_answered(self) -> None:
        record = self.current
        if self.phase != Phase.QUESTION or record is None or self._expected:
            return
        if self._active and self._active_answered == self._active:
            self._close()

    def _close(self) -> None:
        self._cancel_timers()
        record = self.current
        assert record is not None
        self.phase = Phase.REVEAL
        self.reset_streaks_of_missing(self.index)
        answers = list(record.answers.values())
        correct = [a for a in answers if a.is_correct]
        average = round(sum(a.response_time_ms for a in answers) / len(answers)) if answers else None
        self._publish(events.QuestionClosed(
            index=self.index,
            # A personal round has no one answer: each student gets their own (rooms/game.py).
            correct_answer=None if self.config.personal else record.question.fact.correct_answer,
            answered=len(answers), correct=len(correct), average_response_time_ms=average))
        if self.config.auto_advance_ms is not None:
            self._timer = self._scheduler.call_later(self.config.auto_advance_ms, self._on_auto_advance)

    def _on_auto_advance(self) -> None:
        self._timer = None
        if self.phase == Phase.REVEAL:
            self._advance()

    def _advance(self) -> None:
        if self.index + 1 < self.total:
            self._open_question(self.index + 1)
        else:
            self._finish()

    def _finish(self) -> None:
        self._lobby.flush()
        self._player_count.flush()
        self._cancel_timers()
        self.phase = Phase.FINISHED
        self._publish(events.GameOver())

    def _report_progress(self) -> None:
        record = self.current
        if self.phase != Phase.QUESTION or record is None:
            return
        self._publish(events.AnswerProgress(index=self.index, answered=len(record.answers),
                                            players=self._seated))

    def _report_lobby(self) -> None:
        self._publish(events.LobbyChanged())

    def _report_player_count(self) -> None:
        self._publish(events.PlayerCountChanged())

    def board_changed(self) -> None:
        """Committed answers moved the board: while a question is open, the live leaderboard
        goes out at most 4 times a second (the final one at close is always sent)."""
        if self.phase == Phase.QUESTION:
            self._board.request()

    def _report_board(self) -> None:
        if self.phase == Phase.QUESTION and self.current is not None:
            self._publish(events.LeaderboardMoved(index=self.index))

    def _count_activity(self, player: Player, change: int) -> None:
        """`player` became active (+1) or stopped being active (-1)."""
        self._active += change
        record = self.current
        if record is not None and player.player_id in record.committed:
            self._active_answered += change

    def _cancel_timers(self) -> None:
        """The phase's timers; a new phase starts its progress reports afresh."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        if self._grace is not None:
            self._grace.cancel()
        self._grace = None
        self._expected.clear()
        self._progress.cancel()
        self._board.cancel()
