"""One live room as an explicit state machine: lobby → question → reveal → … → finished.

Every decision about a room is made here, synchronously, so on the asyncio loop it is atomic:
nothing can interleave between "is this answer acceptable" and "it is recorded". The room owns
its timers (question deadline, auto-advance, progress throttle) and cancels them when it
moves on or is disposed. What happens is published as events, in order, to one listener.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from rooms import events
from rooms.answers import InvalidAnswer, parse_answer
from rooms.clock import Cancellable, Clock, Scheduler
from rooms.nicknames import nickname_key
from rooms.questions import Fact
from rooms.scoring import score_answer
from rooms.throttle import Throttle

PROGRESS_INTERVAL_MS = 250  # answer_progress at most 4 times a second per room
LOBBY_INTERVAL_MS = 250  # lobby at most 4 times a second per room, however fast students join
BOARD_INTERVAL_MS = 250  # the live leaderboard at most 4 times a second per room
# Seats in one room: twice the largest assembly we promise (5,000), so a school never meets
# it, while a runaway script still cannot grow one room's memory without bound.
ROOM_CAPACITY = 10_000


def lobby_interval_ms(seated: int) -> int:
    """How often a room of `seated` players reports its lobby. Each report is a broadcast to
    every student (their count) and the whole list to the teacher and the projector, so its
    cost grows with the room: 4 a second up to 500 players, then spaced out so that a filling
    room sends about 2,000 student copies a second whatever its size (once a second at 2,000,
    every 2.5 s at 5,000). Measured: at 5,000 joining students the 4-a-second lobby was most
    of the server's CPU and held joins to ~55 a second."""
    return max(LOBBY_INTERVAL_MS, seated // 2)


class Phase(StrEnum):
    LOBBY = "lobby"
    QUESTION = "question"
    REVEAL = "reveal"
    FINISHED = "finished"


class RoomError(Exception):
    """A refusal with the contract's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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

    @property
    def active(self) -> bool:
        return self.connections > 0 and not self.kicked


@dataclass(frozen=True)
class Reservation:
    """A nickname and a join order held for a student whose player row is being written."""

    nickname: str
    join_order: int
    user_id: uuid.UUID | None


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
    # A personal round: each player's own question (a player missing here gets `question`).
    personal: dict[uuid.UUID, RoomQuestion] = field(default_factory=dict)
    # False while a personal round's facts are being chosen: nobody has a question yet.
    dealt: bool = True


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
        self._active_answered = 0  # of those, how many answered the current question
        self._next_join_order = 1
        self._timer: Cancellable | None = None
        self._progress = Throttle(PROGRESS_INTERVAL_MS, self._report_progress, clock=clock,
                                  scheduler=scheduler)
        self._lobby = Throttle(lambda: lobby_interval_ms(self._seated), self._report_lobby, clock=clock,
                               scheduler=scheduler)
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
        reservation = Reservation(nickname, self._next_join_order, user_id)
        self._nicknames.add(nickname_key(nickname))
        self._next_join_order += 1
        return reservation

    def release(self, reservation: Reservation) -> None:
        """The player could not be written: the nickname is free again. The join order is
        not reused (a write that failed late may still have committed it): it stays a gap,
        and the order of the players stays exact."""
        self._nicknames.discard(nickname_key(reservation.nickname))

    def add_player(self, player: Player) -> None:
        self.restore_player(player)
        self._lobby.request()

    def restore_player(self, player: Player) -> None:
        """A player as the database has it (a written reservation, or a rebuilt room)."""
        if player.player_id in self.players:
            raise ValueError(f"player {player.player_id} is in the room already")
        self.players[player.player_id] = player
        self._by_user[player.user_id] = player.player_id
        if not player.kicked:
            self._nicknames.add(nickname_key(player.nickname))
            self._seated += 1
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

    def kick(self, player_id: uuid.UUID) -> Player:
        player = self.players.get(player_id)
        if player is None or player.kicked:
            raise RoomError("not_found", "no such player in this room")
        if player.active:
            self._count_activity(player, -1)
        self._seated -= 1
        player.kicked = True
        self._nicknames.discard(nickname_key(player.nickname))
        self._publish(events.PlayerKicked(player_id))
        self._lobby.request()
        self._close_if_everyone_answered()
        return player

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
        if now > record.closes_at_ms:
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
        # delivery delay counts against the student, so it can never be shorter than real.
        response_time_ms = min(max(now - record.opened_at_ms, 0), self.config.time_limit_ms)
        is_correct = user_answer == fact.correct_answer
        scored = score_answer(is_correct=is_correct, response_time_ms=response_time_ms,
                              time_limit_ms=self.config.time_limit_ms, streak_before=player.streak)
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
        if player.active:
            self._active_answered += 1
        self._progress.request()
        self._close_if_everyone_answered()
        return answer, False

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
            removed = self.records[answer.index].answers.pop(answer.player_id, None)
            if removed is not None and answer.index == self.index and player.active:
                self._active_answered -= 1

    def restore_answer(self, answer: Answer) -> None:
        """Replay a committed answer while rebuilding a room (after a restart)."""
        player = self.players[answer.player_id]
        self._apply(player, answer)
        self.attempts[answer.attempt_id] = answer
        self.records[answer.index].answers[answer.player_id] = answer
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
            # The time already passed is unknown after a restart; measuring from the rebuild
            # would only make later answers slower, never faster than real.
            record.opened_at_ms = now - (self.config.time_limit_ms - remaining_ms)
            self._timer = self._scheduler.call_later(remaining_ms, self._on_deadline)

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
        if self.phase == Phase.QUESTION:
            self._close()

    def _close_if_everyone_answered(self) -> None:
        record = self.current
        if self.phase != Phase.QUESTION or record is None:
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
        if self.answered_current(player.player_id):
            self._active_answered += change

    def _cancel_timers(self) -> None:
        """The phase's timers; a new phase starts its progress reports afresh."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self._progress.cancel()
        self._board.cancel()
