"""The live games this worker serves, loaded on demand from the room store (PostgreSQL).

A game that is not in memory (first use, or after a restart) is rebuilt from what the
store holds: its players, its questions, every committed answer; its Redis board is
rebuilt too if Redis lost it. That is what makes rejoin work across restarts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable, Sequence

from rooms import joining
from rooms.audiences import RoomAudiences
from rooms.clock import Clock, Scheduler, naive_utc
from rooms.game import LiveGame, accommodation_of, fact_of
from rooms.leaderboard import BoardSeat, CommittedPoints, Leaderboards
from rooms.ports import (
    AnswerWriter,
    Broadcaster,
    ClaimedRoom,
    CommittedAnswer,
    ConnectionCensus,
    RoomStore,
)
from rooms.room import Answer, Phase, Player, RoomQuestion

log = logging.getLogger(__name__)

FINISHED_KEPT_S = 300
# How long a rebuilt room's open question waits for the players who were not connected
# anywhere when it was rebuilt (lost with the worker that died: their pages come back by
# themselves within a few seconds) before "everyone answered" may close it.
REJOIN_GRACE_MS = 5_000


class RoomRegistry:
    def __init__(self, *, store: RoomStore, writer: AnswerWriter, boards: Leaderboards,
                 broadcaster: Broadcaster, clock: Clock, scheduler: Scheduler,
                 rng: random.Random | None = None, worker: str = "local",
                 census: ConnectionCensus | None = None,
                 audiences: RoomAudiences | None = None) -> None:
        self._store = store
        self.audiences = audiences if audiences is not None else RoomAudiences()
        self._worker = worker  # who claims the rooms loaded here (rooms.owner_worker)
        self._census = census
        # room → epoch ms it stopped being served (its owner died or let go), for its rebuild
        self._outages: dict[uuid.UUID, int] = {}
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
        self._background: set[asyncio.Task[None]] = set()
        self._sessions: dict[uuid.UUID, BoardSeat] = {}  # by session_id
        # A board rebuilt from the record and the after-commit updates take turns: a batch
        # committed before the rebuild read the record, whose update comes after it, is
        # already counted (its attempt_ids are here) and skipped.
        self._board_turns = asyncio.Lock()
        self._in_rebuilt_board: dict[uuid.UUID, frozenset[uuid.UUID]] = {}
        # Told the users of each room rebuilt from the record (the daily and weekly boards).
        self._on_restored: list[Callable[[list[uuid.UUID]], None]] = []
        writer.on_committed(self.on_committed)

    def _moved(self, room_id: uuid.UUID) -> None:
        """Another worker claimed the room: out of memory now (so the next command is routed
        anew, never served by the fenced game), closed in the background."""
        self._forget_code(room_id)
        self._in_rebuilt_board.pop(room_id, None)
        self.audiences.released(room_id)
        game = self._games.pop(room_id, None)
        if game is not None:
            task = asyncio.get_running_loop().create_task(game.close())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def on_restored(self, callback: Callable[[list[uuid.UUID]], None]) -> None:
        self._on_restored.append(callback)

    async def rebuild_board(self, room_id: uuid.UUID) -> None:
        """The room's board from the record, as of now."""
        async with self._board_turns:
            rows = await self._store.board_rows(room_id)
            await self._boards.rebuild(room_id, rows)
            self._in_rebuilt_board[room_id] = frozenset().union(*(r.attempt_ids for r in rows))

    async def redis_lost(self) -> None:
        """Redis lost its data (rooms/generation.py): every board of the rooms run here, the
        room's and its team board, from the record again before anyone reads them."""
        games = list(self._games.values())
        for game in games:
            await self.rebuild_board(game.room_id)
            if game.teams.active:
                await self._restore_teams(game)
            game.board_changed()
        log.warning("Redis lost its data: the boards of %d rooms rebuilt from the record", len(games))

    def _finished(self, room_id: uuid.UUID) -> None:
        """A finished game leaves memory after a while (rejoins then reload it from PostgreSQL)."""
        self._forget_code(room_id)
        loop = asyncio.get_running_loop()

        def drop_later() -> None:
            task = loop.create_task(self.drop(room_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        self._scheduler.call_later(FINISHED_KEPT_S * 1000, drop_later)

    def note_outage(self, room_id: uuid.UUID, since_epoch_ms: int) -> None:
        """The room has not been served since then (its owner is gone): when it is rebuilt
        here, its open question goes on from where it was then."""
        self._outages[room_id] = since_epoch_ms

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

    async def room_id_for_code(self, code: str) -> uuid.UUID:
        """The open room `code` names (held here, or found in the store), or the refusal."""
        room_id = self.open_room_id(code)
        if room_id is None:
            room_id = (await joining.room_for_code(self._store, self._clock, code)).room_id
        return room_id

    def _forget_code(self, room_id: uuid.UUID) -> None:
        game = self._games.get(room_id)
        if game is not None and self._open_codes.get(game.row.code) == room_id:
            del self._open_codes[game.row.code]

    async def drop(self, room_id: uuid.UUID) -> None:
        """Stop running a room here (another worker owns it now)."""
        self._forget_code(room_id)
        self._in_rebuilt_board.pop(room_id, None)
        self.audiences.released(room_id)
        game = self._games.pop(room_id, None)
        if game is not None:
            await game.close()

    async def by_id(self, room_id: uuid.UUID) -> LiveGame | None:
        """The game, loaded if it is not in memory: claimed in the store first (this worker
        is the room's owner now; the previous owner's writes are refused from then on), then
        rebuilt from what the store holds after the claim."""
        game = self._games.get(room_id)
        if game is not None:
            return game
        async with self._loading:
            game = self._games.get(room_id)
            if game is not None:
                return game
            claimed = await self._store.claim(room_id, self._worker)
            return await self._game_for(claimed) if claimed is not None else None

    async def _game_for(self, claimed: ClaimedRoom) -> LiveGame:
        row = claimed.row
        game = LiveGame.create(row, clock=self._clock, scheduler=self._scheduler, store=self._store,
                               writer=self._writer, boards=self._boards,
                               broadcaster=self._broadcaster, rng=self._rng,
                               sessions=self._sessions, epoch=claimed.epoch,
                               on_finished=self._finished, on_moved=self._moved)
        await self._restore(game)
        self._games[row.room_id] = game
        self.audiences.claimed(row.room_id, claimed.epoch)
        if game.room.phase != Phase.FINISHED:
            self._open_codes[row.code] = row.room_id
        game.run()
        log.info("room %s claimed by worker %s (owner epoch %d)", row.room_id, self._worker,
                 claimed.epoch)
        return game

    async def _restore(self, game: LiveGame) -> None:
        """Put a game where the store says it is (nothing to do for a fresh lobby)."""
        room = game.room
        history = await self._store.history(game.room_id)
        # Who is connected to it, on any worker: the connections counted by the previous
        # owner died with it (those of its own clients really did; the others' did not).
        connected = await self._census.connected(game.room_id) if self._census is not None else {}
        outage_since = self._outages.pop(game.room_id, None)
        for p in history.players:
            player = Player(p.player_id, p.user_id, p.session_id, p.nickname, p.join_order,
                            kicked=p.kicked, connections=connected.get(p.player_id, 0), team=p.team,
                            first_question=p.first_question, accommodation=accommodation_of(p))
            room.restore_player(player)
            self._sessions[p.session_id] = BoardSeat(game.room_id, p.player_id, p.join_order)
        if game.row.status == "lobby":
            return
        rows = history.questions
        questions = [RoomQuestion(r.index, r.fact.question_id, fact_of(r.fact)) for r in rows]
        opened = [r for r in rows if r.opened_at is not None]
        phase, remaining = Phase.REVEAL, 0
        # An open question goes on from where it was when the room stopped being served: its
        # deadline moves by the outage, and response times do not count it.
        stopped = naive_utc(min(outage_since, self._clock.epoch_ms()) if outage_since is not None
                            else self._clock.epoch_ms())
        last = opened[-1] if opened else None
        if game.row.status == "finished":
            phase = Phase.FINISHED
        elif last is not None and last.closed_at is None and last.closes_at is not None \
                and last.closes_at > stopped:
            phase = Phase.QUESTION
            remaining = int((last.closes_at - stopped).total_seconds() * 1000)
        room.restore_position(questions, len(opened), phase, remaining)
        if phase == Phase.QUESTION:
            room.expect([p.player_id for p in room.roster() if not p.active], REJOIN_GRACE_MS)
            assert last is not None and last.opened_at is not None
            if outage_since is not None:  # the moved deadline is the record's from now on
                await self._store.mark_question_opened(
                    game.room_id, last.index, last.opened_at,
                    naive_utc(room.records[-1].closes_at_epoch_ms), epoch=game.epoch)
        if game.row.personal_rounds:  # each player's own fact, as they were dealt
            for dealt in history.personal:
                if dealt.index < len(opened):
                    room.deal_one(dealt.index, dealt.player_id,
                                  RoomQuestion(dealt.index, dealt.fact.question_id, fact_of(dealt.fact)))
        by_session = {p.session_id: p for p in room.players.values()}
        for index in range(len(opened)):
            for a in (a for a in history.attempts if a.question_index == index):
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
        # From the record, always: a previous owner killed between a COMMIT and its board
        # update, or a Redis that lost the board, would otherwise leave it wrong.
        await self.rebuild_board(game.room_id)
        if game.teams.active:
            await self._restore_teams(game)
        users = [p.user_id for p in history.players]
        for callback in self._on_restored:
            callback(users)
        log.info("room %s restored from the store in phase %s", game.room_id, phase)

    async def _restore_teams(self, game: LiveGame) -> None:
        """What each team did, as the record says; a question the room counts as closed that
        the record had not marked yet (the server died as it closed) from the replayed answers."""
        game.restore_teams(await self._store.team_rows(game.room_id))
        game.teams.close_missing()
        await self._boards.set_teams(game.room_id, {s.team: s.score for s in game.teams.standings()})

    async def on_committed(self, batch: Sequence[CommittedAnswer]) -> None:
        """After-commit hook of the writer: one pipelined board update per committed batch."""
        async with self._board_turns:
            points = []
            for answer in batch:
                seat = self._sessions.get(answer.session_id)
                if seat is None:  # a game another worker runs
                    continue
                if answer.attempt_id in self._in_rebuilt_board.get(seat.room_id, ()):
                    continue  # a rebuild read it from the record already
                points.append(CommittedPoints(seat.room_id, seat.player_id, seat.join_order,
                                              answer.points, answer.response_time_ms))
            if points:
                await self._boards.record(points)
        for room_id in {p.room_id for p in points}:
            game = self._games.get(room_id)
            if game is not None:
                game.board_changed()

    async def close_all(self) -> None:
        games, self._games = list(self._games.values()), {}
        self._open_codes.clear()
        self._in_rebuilt_board.clear()
        self.audiences.clear()
        for game in games:
            await game.close()
