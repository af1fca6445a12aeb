"""The live games this worker serves, loaded on demand from PostgreSQL.

A game that is not in memory (first use, or after a restart) is rebuilt from what the
database holds: its players, its questions, every committed answer; its Redis board is
rebuilt too if Redis lost it. That is what makes rejoin work across restarts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import uuid

from persistence import rooms_repo
from persistence.database import Database
from rooms.clock import Clock, Scheduler
from rooms.game import LiveGame, fact_of
from rooms.leaderboard import BoardSeat, CommittedPoints, Leaderboards, rebuild_room_board
from rooms.ports import AnswerWriter, Broadcaster
from rooms.room import Answer, Phase, Player, RoomQuestion

log = logging.getLogger(__name__)

FINISHED_KEPT_S = 300


class RoomRegistry:
    def __init__(self, *, db: Database, writer: AnswerWriter, boards: Leaderboards,
                 broadcaster: Broadcaster, clock: Clock, scheduler: Scheduler,
                 rng: random.Random | None = None) -> None:
        self._db = db
        self._writer = writer
        self._boards = boards
        self._broadcaster = broadcaster
        self._clock = clock
        self._scheduler = scheduler
        self._rng = rng or random.SystemRandom()
        self._games: dict[uuid.UUID, LiveGame] = {}
        # Join code → room, for the open games held here: a join into a room this worker
        # runs needs no database round trip to find it. Another worker's room (or one not
        # loaded yet) is not here, and the code is looked up in PostgreSQL as before.
        self._open_codes: dict[str, uuid.UUID] = {}
        self._loading = asyncio.Lock()
        self._background: set[asyncio.Task] = set()
        self._sessions: dict[uuid.UUID, BoardSeat] = {}  # by session_id
        writer.add_after_commit_hook(self.on_committed)

    def _finished(self, room_id: uuid.UUID) -> None:
        """A finished game leaves memory after a while (rejoins then reload it from PostgreSQL)."""
        self._forget_code(room_id)
        loop = asyncio.get_running_loop()

        def drop_later() -> None:
            task = loop.create_task(self.drop(room_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        loop.call_later(FINISHED_KEPT_S, drop_later)

    def room_ids(self) -> list[uuid.UUID]:
        return list(self._games)

    def holds(self, room_id: uuid.UUID) -> bool:
        return room_id in self._games

    def open_room_id(self, code: str) -> uuid.UUID | None:
        """The open game held here that `code` names, or None: ask PostgreSQL then."""
        room_id = self._open_codes.get(code)
        game = self._games.get(room_id) if room_id is not None else None
        if game is None or game.room.phase == Phase.FINISHED:
            return None
        return room_id

    def _forget_code(self, room_id: uuid.UUID) -> None:
        game = self._games.get(room_id)
        if game is not None and self._open_codes.get(game.row.code) == room_id:
            del self._open_codes[game.row.code]

    async def drop(self, room_id: uuid.UUID) -> None:
        """Stop running a room here (another worker owns it now)."""
        self._forget_code(room_id)
        game = self._games.pop(room_id, None)
        if game is not None:
            await game.close()

    async def by_id(self, room_id: uuid.UUID) -> LiveGame | None:
        game = self._games.get(room_id)
        if game is not None:
            return game
        row = await rooms_repo.room_by_id(self._db, room_id)
        return await self._game_for(row) if row else None

    async def _game_for(self, row: rooms_repo.RoomRow) -> LiveGame:
        async with self._loading:
            game = self._games.get(row.room_id)
            if game is None:
                game = LiveGame.create(row, clock=self._clock, scheduler=self._scheduler, db=self._db,
                                       writer=self._writer, boards=self._boards,
                                       broadcaster=self._broadcaster, rng=self._rng,
                                       sessions=self._sessions, on_finished=self._finished)
                await self._restore(game)
                self._games[row.room_id] = game
                if game.room.phase != Phase.FINISHED:
                    self._open_codes[row.code] = row.room_id
                game.run()
            return game

    async def _restore(self, game: LiveGame) -> None:
        """Put a game where PostgreSQL says it is (nothing to do for a fresh lobby)."""
        room = game.room
        for p in await rooms_repo.players_of(self._db, game.room_id):
            player = Player(p.player_id, p.user_id, p.session_id, p.nickname, p.join_order, kicked=p.kicked)
            room.restore_player(player)
            self._sessions[p.session_id] = BoardSeat(game.room_id, p.player_id, p.join_order)
        if game.row.status == "lobby":
            return
        rows = await rooms_repo.room_questions_of(self._db, game.room_id)
        questions = [RoomQuestion(r.index, r.fact.question_id, fact_of(r.fact)) for r in rows]
        opened = [r for r in rows if r.opened_at is not None]
        phase, remaining = Phase.REVEAL, 0
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if game.row.status == "finished":
            phase = Phase.FINISHED
        elif opened and opened[-1].closed_at is None and opened[-1].closes_at > now:
            phase = Phase.QUESTION
            remaining = int((opened[-1].closes_at - now).total_seconds() * 1000)
        room.restore_position(questions, len(opened), phase, remaining)
        if game.row.personal_rounds:  # each player's own fact, as they were dealt
            for index, player_id, fact in await rooms_repo.personal_questions_of(self._db, game.room_id):
                if index < len(opened):
                    room.deal_one(index, player_id, RoomQuestion(index, fact.question_id, fact_of(fact)))
        by_session = {p.session_id: p for p in room.players.values()}
        attempts = await rooms_repo.attempts_of(self._db, game.room_id)
        for index in range(len(opened)):
            for a in (a for a in attempts if a.question_index == index):
                player = by_session[a.session_id]
                streak_after = player.streak + 1 if a.is_correct else 0
                room.restore_answer(Answer(
                    attempt_id=a.attempt_id, player_id=player.player_id, index=index,
                    question_id=a.question_id, raw_input=a.raw_input or "",
                    user_answer=a.user_answer, correct_answer=a.correct_answer, is_correct=a.is_correct,
                    response_time_ms=a.response_time_ms, points=a.points, streak_before=player.streak,
                    streak_after=streak_after, score_after=player.score + a.points,
                    input_method=a.input_method, answered_at_epoch_ms=0))
            if index < len(opened) - 1 or phase != Phase.QUESTION:
                room.reset_streaks_of_missing(index)
        if not await self._boards.exists(game.room_id):
            await rebuild_room_board(self._db, self._boards, game.room_id)
        log.info("room %s restored from PostgreSQL in phase %s", game.room_id, phase)

    async def on_committed(self, batch) -> None:
        """After-commit hook of the writer: one pipelined board update per committed batch."""
        points = []
        for attempt, outcome in batch:
            if outcome.duplicate or attempt.question_index is None:
                continue
            seat = self._sessions.get(attempt.session_id)
            if seat is None:
                continue
            points.append(CommittedPoints(seat.room_id, seat.player_id, seat.join_order, attempt.user_id,
                                          attempt.points or 0, attempt.response_time_ms))
        if points:
            await self._boards.record(points, dt.datetime.now(dt.UTC).date())
            for room_id in {p.room_id for p in points}:
                game = self._games.get(room_id)
                if game is not None:
                    game.board_changed()

    async def close_all(self) -> None:
        games, self._games = list(self._games.values()), {}
        self._open_codes.clear()
        for game in games:
            await game.close()
