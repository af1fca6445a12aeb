"""A live game: one Room (the decisions) wired to the database, the writer, the boards and
the broadcaster. Each public coroutine is what one client event asks for.

Events a room publishes are delivered in order by one dispatcher task per game, so a
`question_closed` always follows its question and precedes the next one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import uuid
from collections.abc import Callable

from persistence import rooms_repo
from persistence.answer_flow import AttemptIn, AttemptRejected
from persistence.database import Database
from rooms import events, views
from rooms.clock import Clock, Scheduler
from rooms.leaderboard import BoardSeat, Leaderboards
from rooms.nicknames import InvalidNickname, clean_nickname
from rooms.personal import PersonalRounds
from rooms.ports import AnswerWriter, Broadcaster
from rooms.questions import Fact, choose_facts, choose_from
from rooms.room import Answer, Phase, Player, Reservation, Room, RoomError, RoomQuestion

log = logging.getLogger(__name__)

COMMIT_WAIT_AT_CLOSE_S = 10.0
CLOSE_WAIT_S = 5.0


def _utc(epoch_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC).replace(tzinfo=None)


class LiveGame:
    def __init__(self, row: rooms_repo.RoomRow, room: Room, *, db: Database, writer: AnswerWriter,
                 boards: Leaderboards, broadcaster: Broadcaster, clock: Clock, rng,
                 sessions: dict[uuid.UUID, BoardSeat],
                 on_finished: Callable[[uuid.UUID], None] = lambda _: None) -> None:
        self.row = row
        self._on_finished = on_finished
        self._sessions = sessions
        self.room = room
        self._db = db
        self._writer = writer
        self._boards = boards
        self._out = broadcaster
        self._clock = clock
        self._rng = rng
        self._lock = asyncio.Lock()  # joins and host controls, one at a time
        self._commits: dict[uuid.UUID, asyncio.Task] = {}  # in flight only, by attempt_id
        self._joining_users: dict[uuid.UUID, asyncio.Task[Player]] = {}
        self._queue: asyncio.Queue[events.RoomEvent | None] = asyncio.Queue()
        self._dispatcher: asyncio.Task | None = None
        self._personal = PersonalRounds(row, room, db=db, broadcaster=broadcaster, clock=clock)

    @classmethod
    def create(cls, row: rooms_repo.RoomRow, *, clock: Clock, scheduler: Scheduler, **deps) -> LiveGame:
        config = room_config(row)
        game: LiveGame
        room = Room(config, clock=clock, scheduler=scheduler, publish=lambda e: game._queue.put_nowait(e))
        game = cls(row, room, clock=clock, **deps)
        return game

    @property
    def room_id(self) -> uuid.UUID:
        return self.row.room_id

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

    async def join(self, nickname: str | None, student) -> Player:
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
            row = await rooms_repo.create_player(self._db, self.row, reservation.nickname,
                                                 reservation.join_order, reservation.user_id)
        except BaseException:
            self.room.release(reservation)
            raise
        if row.join_order != reservation.join_order:  # a student the database already had
            self.room.release(reservation)
            known = self.room.players.get(row.player_id)
            if known is not None:
                return known
        player = Player(row.player_id, row.user_id, row.session_id, row.nickname, row.join_order,
                        kicked=row.kicked)
        self._sessions[row.session_id] = BoardSeat(self.room_id, row.player_id, row.join_order)
        # In the room as soon as it is in the database, so memory never disagrees with it.
        self.room.add_player(player)
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

    async def state(self, player: Player | None) -> dict:
        rank = None
        if player is not None:
            _, ranks = await self._boards.top_and_ranks(
                self.room_id, [(player.player_id, player.join_order)], n=0)
            rank = ranks.get(player.player_id)
        return views.state_payload(self.room, player, rank)

    # --- answers -------------------------------------------------------------------------

    async def answer(self, player_id: uuid.UUID, index: int, raw: str, attempt_id: uuid.UUID,
                     input_method: str) -> dict:
        """The ack, sent only once the attempt is committed; a retry gets the same ack."""
        answer, duplicate = self.room.accept_answer(player_id, index, raw, attempt_id, input_method)
        task = self._commits.get(attempt_id)
        if task is None and not duplicate:
            task = asyncio.get_running_loop().create_task(self._commit(answer))
            self._commits[attempt_id] = task
            task.add_done_callback(functools.partial(self._commit_done, attempt_id))
        # A duplicate with no commit in flight is committed already: a failed commit withdraws
        # its answer from the room, and a restored room holds only committed answers.
        if task is not None:
            await asyncio.shield(task)
        return views.answer_ack(answer, duplicate)

    async def _commit(self, answer: Answer) -> None:
        player = self.room.players[answer.player_id]
        attempt = AttemptIn(
            attempt_id=answer.attempt_id, user_id=player.user_id, session_id=player.session_id,
            question_id=answer.question_id, raw_input=answer.raw_input, user_answer=answer.user_answer,
            correct_answer=answer.correct_answer, response_time_ms=answer.response_time_ms,
            answered_at=_utc(answer.answered_at_epoch_ms), input_method=answer.input_method,
            question_index=answer.index, points=answer.points)
        try:
            await self._writer.submit(attempt)
        except AttemptRejected as exc:
            self._forget(answer)
            raise RoomError(exc.code, exc.message) from None
        except Exception:
            log.exception("answer %s of room %s not committed", answer.attempt_id, self.room_id)
            self._forget(answer)
            raise RoomError("unavailable", "your answer could not be saved; send it again") from None

    def _commit_done(self, attempt_id: uuid.UUID, task: asyncio.Task) -> None:
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
            if not await rooms_repo.record_game_start(self._db, self.room_id, ids):
                raise RoomError("invalid_phase", "this game has already started")
            self.room.start([RoomQuestion(i, qid, fact)
                             for i, (qid, fact) in enumerate(zip(ids, facts, strict=True))])

    async def _choose_questions(self) -> tuple[list[uuid.UUID], list[Fact]]:
        """The game's questions: from its learning track when it has one, else from its
        operation and operand range (facts found or created in the free-standing bank)."""
        count = self.row.question_count
        if self.row.track_id is not None:
            pool = await rooms_repo.track_facts(self._db, self.row.track_id, self.row.operation)
            if not pool:
                raise RoomError("invalid_phase", "this game's learning track has no facts")
            chosen = choose_from(pool, count, self._rng)
            return ([qid for qid, *_ in chosen],
                    [Fact(a, b, op, answer) for _, a, b, op, answer in chosen])
        facts = choose_facts(self.row.operation, self.row.min_operand, self.row.max_operand,
                             count, self._rng)
        ids = await rooms_repo.find_or_create_facts(
            self._db, [(f.operand1, f.operand2, f.operation, f.correct_answer) for f in facts])
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
            await rooms_repo.kick_player(self._db, player_id)
            await self._boards.remove_player(self.room_id, player_id, player.join_order)

    async def lock(self, locked: bool) -> None:
        self.room.lock(locked)

    # --- delivering what the room published ------------------------------------------------

    async def _dispatch(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                await self._deliver(event)
            except asyncio.CancelledError:
                raise
            except Exception:  # one failed delivery must not stop the game
                log.exception("room %s: delivering %s failed", self.room_id, type(event).__name__)

    async def _deliver(self, event: events.RoomEvent) -> None:
        room_id = self.room_id
        if isinstance(event, events.LobbyChanged):
            payload = views.lobby_payload(self.room)
            await self._out.lobby(room_id, payload, payload["count"])
        elif isinstance(event, events.QuestionOpened):
            if self.room.config.personal:
                await self._personal.deal_round(event.index)
                await self._personal.send_question(event.index)
            else:
                await self._out.question(room_id, views.question_payload_for(self.room, event.index))
            record = self.room.records[event.index]
            await rooms_repo.mark_question_opened(
                self._db, room_id, event.index,
                _utc(record.closes_at_epoch_ms - self.room.config.time_limit_ms),
                _utc(record.closes_at_epoch_ms))
        elif isinstance(event, events.AnswerProgress):
            await self._out.answer_progress(room_id, {"index": event.index, "answered": event.answered,
                                                      "players": event.players})
        elif isinstance(event, events.LeaderboardMoved):
            if self.room.phase == Phase.QUESTION and self.room.index == event.index:
                top, _ = await self._boards.top_and_ranks(self.room_id, [])
                await self._out.live_leaderboard(room_id, {
                    "index": event.index, "top": views.board_top(self.room, top),
                    "players": self.room.seated, "live": True})
        elif isinstance(event, events.QuestionClosed):
            await self._commits_of(event.index)
            closed = {"index": event.index, "correct_answer": None, "answered": event.answered,
                      "correct": event.correct, "average_response_time_ms": event.average_response_time_ms}
            if event.correct_answer is None:  # a personal round: each student their own answer
                await self._personal.send_close(event.index, closed)
            else:
                await self._out.question_closed(
                    room_id, {**closed, "correct_answer": views.number(event.correct_answer)})
            await self._send_leaderboard(event.index)
            await rooms_repo.mark_question_closed(self._db, room_id, event.index)
        elif isinstance(event, events.PlayerKicked):
            await self._out.kicked(room_id, event.player_id, "removed by the teacher")
        elif isinstance(event, events.GameOver):
            await self._commits_of(None)
            await rooms_repo.finish_game(self._db, room_id)
            await self._send_game_over()
            self._on_finished(room_id)

    async def _board(self):
        roster = self.room.roster()
        top, ranks = await self._boards.top_and_ranks(self.room_id,
                                                      [(p.player_id, p.join_order) for p in roster])
        return roster, views.board_top(self.room, top), ranks

    async def _send_leaderboard(self, index: int) -> None:
        roster, top, ranks = await self._board()
        common = {"index": index, "top": top, "players": len(roster)}
        yours = {p.player_id: views.you_on_board(p, ranks.get(p.player_id)) for p in roster}
        await self._out.leaderboard(self.room_id, common, yours, _connections(roster))

    async def _send_game_over(self) -> None:
        roster, top, ranks = await self._board()
        common = {"podium": top[:3], "top": top, "players": len(roster)}
        yours = {p.player_id: views.you_at_game_over(p, ranks.get(p.player_id)) for p in roster}
        await self._out.game_over(self.room_id, common, yours, _connections(roster))


def _connections(roster: list[Player]) -> dict[uuid.UUID, int]:
    return {p.player_id: p.connections for p in roster}


def room_config(row: rooms_repo.RoomRow):
    from rooms.room import RoomConfig

    return RoomConfig(room_id=row.room_id, code=row.code, title=row.title, operation=row.operation,
                      min_operand=row.min_operand, max_operand=row.max_operand,
                      question_count=row.question_count, time_limit_ms=row.time_limit_ms,
                      auto_advance_ms=row.auto_advance_ms, teacher_id=row.teacher_id,
                      screen_key=row.screen_key, track_id=row.track_id,
                      personal=row.personal_rounds)


def fact_of(row: rooms_repo.FactRow) -> Fact:
    return Fact(row.operand1, row.operand2, row.operation, row.correct_answer)
