"""A live game: one Room (the decisions) wired to its record (the RoomStore port), the
answer writer, the boards and delivery. Each public coroutine is what one client command
asks for (rooms/commands.py).

Events a room publishes are delivered in order by one dispatcher task per game, so a
`question_closed` always follows its question and precedes the next one; rooms/delivery.py
decides who gets what.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import random
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from learning.accommodations import Accommodation
from learning.questions import Fact, choose_facts, choose_from
from rooms import events, views
from rooms.clock import Clock, Scheduler, naive_utc
from rooms.delivery import RoomDelivery
from rooms.leaderboard import BoardSeat, Leaderboards
from rooms.nicknames import InvalidNickname, clean_nickname
from rooms.personal import PersonalRounds
from rooms.ports import (
    AnswerRejected,
    AnswerWriter,
    Broadcaster,
    LiveAttempt,
    RoomMoved,
    RoomStore,
    RosteredStudent,
    StoredFact,
    StoredPlayer,
    StoredRoom,
    TeamQuestionRow,
)
from rooms.room import Answer, Phase, Player, Reservation, Room, RoomConfig, RoomError, RoomQuestion
from rooms.teams import TeamTally

log = logging.getLogger(__name__)

COMMIT_WAIT_AT_CLOSE_S = 10.0
CLOSE_WAIT_S = 5.0
# What a client is told to wait before resending to a room that is moving between workers:
# the new owner has usually rebuilt it by then.
MOVING_RETRY_AFTER_MS = 500


def room_moving() -> RoomError:
    return RoomError("unavailable", "the game is moving to another server; send it again",
                     retry_after_ms=MOVING_RETRY_AFTER_MS)


class LiveGame:
    def __init__(self, row: StoredRoom, room: Room, *, store: RoomStore, writer: AnswerWriter,
                 boards: Leaderboards, broadcaster: Broadcaster, clock: Clock, rng: random.Random,
                 sessions: dict[uuid.UUID, BoardSeat], epoch: int = 0,
                 on_finished: Callable[[uuid.UUID], None] = lambda _: None,
                 on_moved: Callable[[uuid.UUID], None] = lambda _: None) -> None:
        self.row = row
        # The owner epoch this worker claimed the room with: every write carries it, and the
        # record refuses it once another worker has claimed the room (then `moved`).
        self.epoch = epoch
        self.moved = False
        self._on_finished = on_finished
        self._on_moved = on_moved
        self._sessions = sessions
        self.room = room
        self._store = store
        self._writer = writer
        self._boards = boards
        self._clock = clock
        self._rng = rng
        self._lock = asyncio.Lock()  # joins and host controls, one at a time
        self._commits: dict[uuid.UUID, asyncio.Task[bool]] = {}  # in flight only, by attempt_id
        self._joining_users: dict[uuid.UUID, asyncio.Task[Player]] = {}
        self._queue: asyncio.Queue[events.RoomEvent | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._personal = PersonalRounds(row, room, store=store, clock=clock, epoch=epoch)
        self.teams = TeamTally(room)
        self._delivery = RoomDelivery(room, boards, broadcaster, self.teams)

    @classmethod
    def create(cls, row: StoredRoom, *, store: RoomStore, writer: AnswerWriter, boards: Leaderboards,
               broadcaster: Broadcaster, clock: Clock, scheduler: Scheduler, rng: random.Random,
               sessions: dict[uuid.UUID, BoardSeat], epoch: int = 0,
               on_finished: Callable[[uuid.UUID], None] = lambda _: None,
               on_moved: Callable[[uuid.UUID], None] = lambda _: None) -> LiveGame:
        config = room_config(row)
        game: LiveGame
        room = Room(config, clock=clock, scheduler=scheduler, publish=lambda e: game._queue.put_nowait(e))
        game = cls(row, room, store=store, writer=writer, boards=boards, broadcaster=broadcaster,
                   clock=clock, rng=rng, sessions=sessions, epoch=epoch, on_finished=on_finished,
                   on_moved=on_moved)
        return game

    def moved_away(self) -> RoomError:
        """Another worker claimed the room (a write raised RoomMoved): stop running it here
        (its timers, its events) and tell the registry; returns the refusal for whoever asked,
        who may resend at once (rooms/gateway.py routes it to the new owner)."""
        if not self.moved:
            self.moved = True
            log.warning("room %s: another worker claimed it (epoch %d is over); stopping it here",
                        self.room_id, self.epoch)
            self.room.dispose()
            self._on_moved(self.room_id)
        return room_moving()

    @property
    def room_id(self) -> uuid.UUID:
        return self.row.room_id

    @property
    def store(self) -> RoomStore:
        return self._store

    def _now(self) -> dt.datetime:
        return naive_utc(self._clock.epoch_ms())

    def run(self) -> None:
        self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    async def close(self) -> None:
        """Cancel the room's timers; deliver what was already published, then stop."""
        self.room.dispose()
        if self._dispatcher is not None:
            self._queue.put_nowait(None)
            done, _ = await asyncio.wait([self._dispatcher], timeout=CLOSE_WAIT_S)
            if not done:
                self._dispatcher.cancel()

    # --- players -------------------------------------------------------------------------

    async def join(self, nickname: str | None, student: RosteredStudent | None) -> Player:
        """A new player (guest with a nickname, or a rostered student), or RoomError.

        The lock is held only to reserve the nickname and the join order (no await inside
        it but its own acquisition, so joins still queue behind a host control such as
        `start`); the player's rows are written outside it, so joins into one room run
        concurrently and a storm is not paced by database round trips.
        """
        if student is None:
            assert nickname is not None
            async with self._lock:
                reservation = self.room.reserve(nickname)
            return await self._admit(reservation)
        user_id = student.user_id
        async with self._lock:
            self.room.check_can_join()
            existing = self.room.player_of_user(user_id)
            if existing is not None:
                if existing.kicked:
                    raise RoomError("kicked", "the teacher removed you from this game")
                return existing
            pending = self._joining_users.get(user_id)
            if pending is None:  # the same student joining twice at once gets one player
                try:
                    name = self.room.free_variant(clean_nickname(student.display_name))
                except InvalidNickname:  # a roster name this room cannot show
                    name = self.room.free_variant("Student")
                pending = asyncio.get_running_loop().create_task(
                    self._admit(self.room.reserve(name, user_id)))
                self._joining_users[user_id] = pending
                pending.add_done_callback(lambda _t: self._joining_users.pop(user_id, None))
        return await asyncio.shield(pending)

    async def _admit(self, reservation: Reservation) -> Player:
        """Write the reserved player; a failed write gives the reservation back."""
        try:
            row = await self._store.create_player(self.row, reservation.nickname,
                                                  reservation.join_order, reservation.user_id,
                                                  epoch=self.epoch, team=reservation.team,
                                                  first_question=reservation.first_question)
        except BaseException:
            self.room.release(reservation)
            raise
        if row.join_order != reservation.join_order:  # a student the database already had
            self.room.release(reservation)
            known = self.room.players.get(row.player_id)
            if known is not None:
                return known
        written = row.join_order == reservation.join_order
        player = Player(row.player_id, row.user_id, row.session_id, row.nickname, row.join_order,
                        kicked=row.kicked, team=row.team, first_question=row.first_question,
                        accommodation=accommodation_of(row))
        self._sessions[row.session_id] = BoardSeat(self.room_id, row.player_id, row.join_order)
        # In the room as soon as it is in the database, so memory never disagrees with it.
        self.room.add_player(player, reservation if written else None)
        if player.kicked:
            raise RoomError("kicked", "the teacher removed you from this game")
        await self._boards.add_player(self.room_id, player.player_id, player.join_order)
        if self.room.config.personal and self.room.phase == Phase.QUESTION:
            # Joined during a personal round: their own fact now, so `state` can show it.
            await self._personal.deal_to(self.room.index, [player])
        return player

    def player(self, player_id: uuid.UUID) -> Player:
        player = self.room.players.get(player_id)
        if player is None:
            raise RoomError("room_not_found", "room not found")
        if player.kicked:
            raise RoomError("kicked", "the teacher removed you from this game")
        return player

    def connect(self, player_id: uuid.UUID) -> Player:
        return self.room.connect(player_id)

    def disconnect(self, player_id: uuid.UUID) -> None:
        self.room.disconnect(player_id)

    async def state(self, player: Player | None) -> dict[str, Any]:
        # Between questions and after the game a page that reloads shows the standings, so
        # the top 10 comes along; while a question is open nobody is looking at them.
        standings = self.room.phase in (Phase.REVEAL, Phase.FINISHED)
        seats = [(player.player_id, player.join_order)] if player is not None else []
        payload = views.state_payload(self.room, player, None)
        if self.room.phase == Phase.LOBBY:  # nobody has points yet: all share the first place
            payload["rank"] = 1 if player is not None else None
        elif seats or standings:
            top, ranks = await self._boards.top_and_ranks(self.room_id, seats, n=10 if standings else 0)
            payload["rank"] = ranks.get(player.player_id) if player is not None else None
            if standings:
                payload["top"] = views.board_top(self.room, top)
        if self.teams.active:  # the teams' standings, for every screen that shows them
            payload["teams"] = views.team_board(self.room, await self._boards.team_board(self.room_id),
                                                self.teams.standings())
        return payload

    # --- answers -------------------------------------------------------------------------

    async def answer(self, player_id: uuid.UUID, index: int, raw: str, attempt_id: uuid.UUID,
                     input_method: str) -> dict[str, Any]:
        """The ack, sent only once the attempt is committed; a retry gets the same ack."""
        if self.moved:
            raise room_moving()
        answer, duplicate = self.room.accept_answer(player_id, index, raw, attempt_id, input_method)
        task = self._commits.get(attempt_id)
        if task is None and not duplicate:
            task = asyncio.get_running_loop().create_task(self._commit(answer))
            self._commits[attempt_id] = task
            task.add_done_callback(functools.partial(self._commit_done, attempt_id))
        # A duplicate with no commit in flight is committed already: a failed commit withdraws
        # its answer from the room, and a restored room holds only committed answers.
        if task is not None:
            stored_before = await asyncio.shield(task)
            duplicate = duplicate or stored_before
        return views.answer_ack(answer, duplicate)

    async def _commit(self, answer: Answer) -> bool:
        """Commits `answer`; True when the writer found its attempt_id stored already (then
        the stored row's points and time replace this scoring)."""
        player = self.room.players[answer.player_id]
        attempt = LiveAttempt(
            attempt_id=answer.attempt_id, user_id=player.user_id, session_id=player.session_id,
            question_id=answer.question_id, question_index=answer.index, raw_input=answer.raw_input,
            user_answer=answer.user_answer, correct_answer=answer.correct_answer,
            response_time_ms=answer.response_time_ms, answered_at=naive_utc(answer.answered_at_epoch_ms),
            input_method=answer.input_method, points=answer.points, room_id=self.room_id,
            owner_epoch=self.epoch)
        try:
            committed = await self._writer.submit(attempt)
        except AnswerRejected as exc:
            self._forget(answer)
            if exc.code == "room_moved":
                raise RoomMoved(self.room_id) from None
            raise RoomError(exc.code, exc.message) from None
        except Exception:
            log.exception("answer %s of room %s not committed", answer.attempt_id, self.room_id)
            self._forget(answer)
            raise RoomError("unavailable", "your answer could not be saved; send it again") from None
        if committed.duplicate:
            # An earlier send of this attempt was stored although its sender was refused (a
            # COMMIT whose reply was lost): the game, the score and the board keep that row.
            self.room.settle(answer, points=committed.points,
                             response_time_ms=committed.response_time_ms)
        self.room.committed(answer)
        return committed.duplicate

    def _commit_done(self, attempt_id: uuid.UUID, task: asyncio.Task[bool]) -> None:
        # Only this task's entry: a retry after a failed commit may already have a new one.
        if self._commits.get(attempt_id) is task:
            del self._commits[attempt_id]

    def _forget(self, answer: Answer) -> None:
        self._commits.pop(answer.attempt_id, None)
        self.room.withdraw(answer)

    async def _commits_of(self, index: int | None) -> None:
        tasks = [t for a_id, t in self._commits.items()
                 if index is None or self.room.attempts.get(a_id, None) is None
                 or self.room.attempts[a_id].index == index]
        if tasks:
            await asyncio.wait(tasks, timeout=COMMIT_WAIT_AT_CLOSE_S)

    # --- the teacher's controls ----------------------------------------------------------

    async def start(self) -> None:
        async with self._lock:
            if self.room.phase != Phase.LOBBY:
                raise RoomError("invalid_phase", f"cannot start in phase {self.room.phase}")
            ids, facts = await self._choose_questions()
            started = await self._store.record_game_start(self.room_id, ids, self._now(),
                                                          epoch=self.epoch)
            if not started:
                raise RoomError("invalid_phase", "this game has already started")
            self.room.start([RoomQuestion(i, qid, fact)
                             for i, (qid, fact) in enumerate(zip(ids, facts, strict=True))])

    async def _choose_questions(self) -> tuple[list[uuid.UUID], list[Fact]]:
        """The game's questions: from its learning track when it has one, else from its
        operation and operand range (facts found or created in the free-standing bank)."""
        count = self.row.question_count
        if self.row.track_id is not None:
            pool = await self._store.track_facts(self.row.track_id, self.row.operation)
            if not pool:
                raise RoomError("invalid_phase", "this game's learning track has no facts")
            chosen = choose_from(pool, count, self._rng)
            return [f.question_id for f in chosen], [fact_of(f) for f in chosen]
        facts = choose_facts(self.row.operation, self.row.min_operand, self.row.max_operand,
                             count, self._rng)
        ids = await self._store.find_or_create_facts(
            [(f.operand1, f.operand2, f.operation, f.correct_answer) for f in facts])
        return ids, facts

    def board_changed(self) -> None:
        self.room.board_changed()

    async def next(self) -> None:
        self.room.next()

    async def close_question(self) -> None:
        self.room.close_question()

    async def end(self) -> None:
        self.room.end()

    async def kick(self, player_id: uuid.UUID) -> None:
        async with self._lock:
            player = self.room.kick(player_id)
            await self._store.kick_player(self.room_id, player_id, self._now(), epoch=self.epoch)
            await self._boards.remove_player(self.room_id, player_id, player.join_order)
            if self.teams.active:  # the kicked player leaves their team's past questions
                self.teams.recount()
                await self._write_team_board()

    async def move(self, player_id: uuid.UUID, team: int) -> None:
        """The teacher puts a player on another team (in the lobby)."""
        async with self._lock:
            player = self.room.players.get(player_id)
            before = player.team if player is not None else None
            self.room.move(player_id, team)
            try:
                await self._store.move_player(self.room_id, player_id, team, epoch=self.epoch)
            except BaseException:
                if before is not None:  # memory never disagrees with the record
                    self.room.move(player_id, before)
                raise

    def restore_teams(self, rows: Iterable[TeamQuestionRow]) -> None:
        self.teams.restore(rows)

    async def _write_team_board(self) -> None:
        await self._boards.set_teams(self.room_id, {s.team: s.score for s in self.teams.standings()})

    async def lock(self, locked: bool) -> None:
        self.room.lock(locked)

    # --- delivering what the room published ------------------------------------------------

    async def _dispatch(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                if not self.moved:  # the new owner tells everyone what happens now
                    await self._deliver(event)
            except RoomMoved:
                self.moved_away()
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed delivery must not stop the game
                log.exception("room %s: delivering %s failed", self.room_id, type(event).__name__)
            finally:
                self._queue.task_done()

    async def delivered(self) -> None:
        """Returns once every event published so far has been delivered."""
        await self._queue.join()

    async def _deliver(self, event: events.RoomEvent) -> None:
        """Send what `event` means to everyone concerned (rooms/delivery.py), with what must
        be done first (a personal round dealt, the question's answers committed) and what the
        record keeps."""
        if isinstance(event, events.QuestionOpened) and self.room.config.personal:
            await self._personal.deal_round(event.index)
        elif isinstance(event, events.QuestionClosed):
            await self._commits_of(event.index)
            if self.teams.active:  # the question's team points, from its committed answers
                self.teams.close(event.index)
                await self._write_team_board()
        elif isinstance(event, events.GameOver):
            await self._commits_of(None)
            await self._store.finish_game(self.room_id, self._now(), epoch=self.epoch)
            # Every answer is committed and its board update done: the podium and each
            # player's rank and score come from the record itself, whatever Redis went through.
            await self._boards.rebuild(self.room_id, await self._store.board_rows(self.room_id))
        await self._delivery.deliver(event)
        if isinstance(event, events.QuestionOpened):
            record = self.room.records[event.index]
            await self._store.mark_question_opened(
                self.room_id, event.index,
                naive_utc(record.closes_at_epoch_ms - self.room.config.time_limit_ms),
                naive_utc(record.closes_at_epoch_ms), epoch=self.epoch)
        elif isinstance(event, events.QuestionClosed):
            await self._store.mark_question_closed(self.room_id, event.index, self._now(),
                                                   epoch=self.epoch)
        elif isinstance(event, events.GameOver):
            self._on_finished(self.room_id)


def room_config(row: StoredRoom) -> RoomConfig:
    return RoomConfig(room_id=row.room_id, code=row.code, title=row.title, operation=row.operation,
                      min_operand=row.min_operand, max_operand=row.max_operand,
                      question_count=row.question_count, time_limit_ms=row.time_limit_ms,
                      auto_advance_ms=row.auto_advance_ms, teacher_id=row.teacher_id,
                      screen_key=row.screen_key, track_id=row.track_id,
                      personal=row.personal_rounds, teams=row.team_names,
                      scoring=row.scoring_mode)


def accommodation_of(row: StoredPlayer) -> Accommodation:
    return Accommodation.stored(row.time_multiplier, row.accuracy_scoring)


def fact_of(row: StoredFact) -> Fact:
    return Fact(row.operand1, row.operand2, row.operation, row.correct_answer)
