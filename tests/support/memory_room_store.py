"""rooms.ports.RoomStore in memory, for tests of the live game without a database.

tests/persistence/test_room_store.py runs the same contract against this store and the
PostgreSQL one, so what the game's tests learn from this one holds for the real one.
Personal facts are chosen by a deliberately simple rule (the track's first fact, in track
order, that the student did not have last round): the real choice is tested in
tests/persistence/curriculum/test_selection.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from rooms.ports import (
    BoardRow,
    ClaimedRoom,
    PersonalFact,
    RoomHistory,
    RoomMoved,
    RosteredStudent,
    StoredAttempt,
    StoredFact,
    StoredPlayer,
    StoredQuestion,
    StoredRoom,
    TeamQuestionRow,
)


@dataclass
class _Question:
    fact: StoredFact
    opened_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


@dataclass
class _Player:
    stored: StoredPlayer
    room_id: uuid.UUID
    kicked_at: dt.datetime | None = None


class InMemoryRoomStore:
    def __init__(self) -> None:
        self.rooms: dict[uuid.UUID, StoredRoom] = {}
        self.started_at: dict[uuid.UUID, dt.datetime] = {}
        self.finished_at: dict[uuid.UUID, dt.datetime] = {}
        self.sessions_ended: dict[uuid.UUID, dt.datetime] = {}  # session_id → end
        self.students: dict[str, RosteredStudent] = {}
        self.tracks: dict[uuid.UUID, list[StoredFact]] = {}
        self.attempts: list[StoredAttempt] = []  # what the answer writer committed
        self._players: dict[uuid.UUID, _Player] = {}
        self._questions: dict[uuid.UUID, list[_Question]] = {}
        self._personal: dict[tuple[uuid.UUID, int, uuid.UUID], StoredFact] = {}
        self._facts: dict[uuid.UUID, StoredFact] = {}
        self._free_facts: dict[tuple[int, int, str], uuid.UUID] = {}
        self._order = itertools.count()
        self._attempt_order: dict[uuid.UUID, int] = {}
        self.owner_epochs: dict[uuid.UUID, int] = {}
        self.owners: dict[uuid.UUID, str] = {}

    # --- what a test sets up -----------------------------------------------------------------

    def add_room(self, teacher_id: uuid.UUID | None = None, **fields: object) -> StoredRoom:
        defaults: dict[str, object] = {
            "room_id": uuid.uuid4(), "teacher_id": teacher_id or uuid.uuid4(),
            "code": f"{secrets.randbelow(10**6):06d}", "title": "Test room", "operation": "×",
            "min_operand": 2, "max_operand": 9, "track_id": None, "question_count": 3,
            "time_limit_ms": 10_000, "auto_advance_ms": None,
            "screen_key": secrets.token_urlsafe(16), "status": "lobby", "personal_rounds": False}
        room = StoredRoom(**{**defaults, **fields})  # type: ignore[arg-type]
        self.rooms[room.room_id] = room
        return room

    def add_student(self, teacher_id: uuid.UUID, display_name: str) -> tuple[RosteredStudent, str]:
        key = secrets.token_hex(4).upper()
        student = RosteredStudent(uuid.uuid4(), teacher_id, display_name)
        self.students[key] = student
        return student, key

    def add_track(self, facts: Sequence[tuple[int, int, str, Decimal]]) -> uuid.UUID:
        track_id = uuid.uuid4()
        stored = [StoredFact(uuid.uuid4(), a, b, op, answer) for a, b, op, answer in facts]
        for fact in stored:
            self._facts[fact.question_id] = fact
        self.tracks[track_id] = stored
        return track_id

    def commit_attempt(self, attempt: StoredAttempt) -> bool:
        """What the answer writer stores; False for an attempt_id stored before."""
        if attempt.attempt_id in self._attempt_order:
            return False
        self._attempt_order[attempt.attempt_id] = next(self._order)
        self.attempts.append(attempt)
        return True

    def player_ids(self, room_id: uuid.UUID) -> list[uuid.UUID]:
        return [p.stored.player_id for p in self._room_players(room_id)]

    def question(self, room_id: uuid.UUID, index: int) -> StoredQuestion:
        q = self._questions[room_id][index]
        return StoredQuestion(index, q.fact, q.opened_at, q.closes_at, q.closed_at)

    def fence(self, room_id: uuid.UUID, epoch: int) -> None:
        """What every write of a room checks first (the answer writer's too)."""
        if self.owner_epochs.get(room_id, 0) != epoch:
            raise RoomMoved(room_id)

    # --- rooms.ports.RoomStore -----------------------------------------------------------------

    async def claim(self, room_id: uuid.UUID, worker: str) -> ClaimedRoom | None:
        room = self.rooms.get(room_id)
        if room is None:
            return None
        self.owner_epochs[room_id] = self.owner_epochs.get(room_id, 0) + 1
        self.owners[room_id] = worker
        return ClaimedRoom(room, self.owner_epochs[room_id])

    async def room_by_id(self, room_id: uuid.UUID) -> StoredRoom | None:
        return self.rooms.get(room_id)

    async def open_room_by_code(self, code: str) -> StoredRoom | None:
        return next((r for r in self.rooms.values() if r.code == code and r.status != "finished"), None)

    async def finished_since(self, code: str, since: dt.datetime) -> bool:
        return any(r.code == code and r.status == "finished" and self.finished_at[r.room_id] > since
                   for r in self.rooms.values())

    async def student_for_key(self, student_key: str) -> RosteredStudent | None:
        return self.students.get(student_key.strip().upper())

    async def history(self, room_id: uuid.UUID) -> RoomHistory:
        players = self._room_players(room_id)
        sessions = {p.stored.session_id for p in players}
        attempts = sorted((a for a in self.attempts if a.session_id in sessions),
                          key=lambda a: (a.question_index, self._attempt_order[a.attempt_id]))
        return RoomHistory(
            players=[p.stored for p in players],
            questions=[self.question(room_id, i) for i in range(len(self._questions.get(room_id, [])))],
            personal=[PersonalFact(index, player_id, fact)
                      for (room, index, player_id), fact in self._personal.items() if room == room_id],
            attempts=attempts)

    async def board_rows(self, room_id: uuid.UUID) -> list[BoardRow]:
        rows = []
        for p in self._room_players(room_id):
            if p.kicked_at is not None:
                continue
            mine = [a for a in self.attempts if a.session_id == p.stored.session_id]
            rows.append(BoardRow(p.stored.player_id, p.stored.join_order, sum(a.points for a in mine),
                                 sum(a.response_time_ms for a in mine),
                                 frozenset(a.attempt_id for a in mine)))
        return rows

    async def team_rows(self, room_id: uuid.UUID) -> list[TeamQuestionRow]:
        rows = []
        for index, question in enumerate(self._questions.get(room_id, [])):
            if question.closed_at is None:
                continue
            teams: dict[int, list[int]] = {}
            for p in self._room_players(room_id):
                if p.kicked_at is not None or p.stored.team is None or p.stored.first_question > index:
                    continue
                mine = [a for a in self.attempts
                        if a.session_id == p.stored.session_id and a.question_index == index]
                counts = teams.setdefault(p.stored.team, [0, 0, 0])
                counts[0] += 1
                counts[1] += sum(a.points for a in mine)
                counts[2] += sum(1 for a in mine if a.is_correct)
            rows += [TeamQuestionRow(team, index, *counts) for team, counts in sorted(teams.items())]
        return rows

    async def track_facts(self, track_id: uuid.UUID, operation: str) -> list[StoredFact]:
        facts = self.tracks.get(track_id, [])
        return [f for f in facts if f.operation == operation] or list(facts)

    async def find_or_create_facts(self, facts: Sequence[tuple[int, int, str, Decimal]]) -> list[uuid.UUID]:
        ids = []
        for a, b, op, answer in facts:
            question_id = self._free_facts.get((a, b, op))
            if question_id is None:
                question_id = self._free_facts[(a, b, op)] = uuid.uuid4()
                self._facts[question_id] = StoredFact(question_id, a, b, op, answer)
            ids.append(question_id)
        return ids

    async def choose_personal_facts(self, track_id: uuid.UUID,
                                    students: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
                                    today: dt.date, operation: str | None) -> dict[uuid.UUID, StoredFact]:
        facts = [f for f in self.tracks.get(track_id, []) if operation is None or f.operation == operation]
        chosen = {}
        for user_id, avoid in students:
            fact = next((f for f in facts if f.question_id != avoid), None)
            if fact is not None:
                chosen[user_id] = fact
        return chosen

    async def create_player(self, room: StoredRoom, nickname: str, join_order: int,
                            user_id: uuid.UUID | None, *, epoch: int, team: int | None = None,
                            first_question: int = 0) -> StoredPlayer:
        self.fence(room.room_id, epoch)
        if user_id is not None:
            for p in self._room_players(room.room_id):
                if p.stored.user_id == user_id:
                    return p.stored
        player = StoredPlayer(uuid.uuid4(), user_id or uuid.uuid4(), uuid.uuid4(), nickname, join_order,
                              kicked=False, team=team, first_question=first_question)
        self._players[player.player_id] = _Player(player, room.room_id)
        return player

    async def kick_player(self, room_id: uuid.UUID, player_id: uuid.UUID, at: dt.datetime, *,
                          epoch: int) -> None:
        self.fence(room_id, epoch)
        player = self._players[player_id]
        if player.kicked_at is None:
            player.kicked_at = at
            player.stored = dataclasses.replace(player.stored, kicked=True)

    async def move_player(self, room_id: uuid.UUID, player_id: uuid.UUID, team: int, *,
                          epoch: int) -> None:
        self.fence(room_id, epoch)
        player = self._players[player_id]
        player.stored = dataclasses.replace(player.stored, team=team)

    async def record_game_start(self, room_id: uuid.UUID, question_ids: Sequence[uuid.UUID],
                                at: dt.datetime, *, epoch: int) -> bool:
        self.fence(room_id, epoch)
        room = self.rooms[room_id]
        if room.status != "lobby":
            return False
        self.rooms[room_id] = dataclasses.replace(room, status="playing")
        self.started_at[room_id] = at
        self._questions[room_id] = [_Question(self._facts[q]) for q in question_ids]
        return True

    async def record_personal_questions(self, room_id: uuid.UUID, index: int,
                                        chosen: Mapping[uuid.UUID, uuid.UUID], *, epoch: int) -> None:
        self.fence(room_id, epoch)
        for player_id, question_id in chosen.items():
            self._personal.setdefault((room_id, index, player_id), self._facts[question_id])

    async def mark_question_opened(self, room_id: uuid.UUID, index: int, opened_at: dt.datetime,
                                   closes_at: dt.datetime, *, epoch: int) -> None:
        self.fence(room_id, epoch)
        question = self._questions[room_id][index]
        question.opened_at, question.closes_at = opened_at, closes_at
        self._close_earlier(room_id, index, opened_at)

    async def mark_question_closed(self, room_id: uuid.UUID, index: int, at: dt.datetime, *,
                                   epoch: int) -> None:
        self.fence(room_id, epoch)
        question = self._questions[room_id][index]
        if question.closed_at is None:
            question.closed_at = at

    async def finish_game(self, room_id: uuid.UUID, at: dt.datetime, *, epoch: int) -> None:
        self.fence(room_id, epoch)
        room = self.rooms[room_id]
        if room.status == "finished":
            return
        self.rooms[room_id] = dataclasses.replace(room, status="finished")
        self.finished_at[room_id] = at
        for p in self._room_players(room_id):
            self.sessions_ended.setdefault(p.stored.session_id, at)
        self._close_earlier(room_id, None, at)

    def _close_earlier(self, room_id: uuid.UUID, before: int | None, at: dt.datetime) -> None:
        """As the PostgreSQL store: a question whose close mark is missing closed by its deadline."""
        for index, question in enumerate(self._questions.get(room_id, [])):
            if (before is None or index < before) and question.opened_at is not None \
                    and question.closed_at is None:
                question.closed_at = min(at, question.closes_at or at)

    def _room_players(self, room_id: uuid.UUID) -> list[_Player]:
        return sorted((p for p in self._players.values() if p.room_id == room_id),
                      key=lambda p: p.stored.join_order)
