"""What the live game needs from the outside, as interfaces it is written against:

- RoomStore: a room's durable record (persistence/room_store.py, on PostgreSQL);
- AnswerWriter: committing accepted answers (persistence/live_answers.py, on the group-commit
  writer);
- Broadcaster: delivering messages to a room's audiences (server/live/emits.py);
- LivePointsRecord: the live points each student scored in a period, for the daily and weekly
  boards (persistence/live_points.py).

This module imports nothing else of the project, so persistence/ implements these ports
without depending on the game; tests/support holds in-memory versions for tests/rooms.
Times are naive UTC datetimes, as the database keeps them, and always come from the game's
injected clock: no port reads the time of day itself.

A worker runs a room only after claiming it (`RoomStore.claim`), which gives it the room's
new owner epoch; every write of the room carries that epoch, and the record refuses one whose
epoch is no longer the room's (`RoomMoved`): two workers can never both write one room
(docs/architecture.md, "Owning a room").
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

# --- the room's record ------------------------------------------------------------------


@dataclass(frozen=True)
class StoredRoom:
    room_id: uuid.UUID
    teacher_id: uuid.UUID
    code: str
    title: str | None
    operation: str
    min_operand: int | None
    max_operand: int | None
    track_id: uuid.UUID | None
    question_count: int
    time_limit_ms: int
    auto_advance_ms: int | None
    screen_key: str
    status: str  # lobby, playing, finished
    personal_rounds: bool = False
    team_names: tuple[str, ...] = ()  # team mode: one name per team (2..8); none without teams
    class_id: uuid.UUID | None = None  # the class whose boards the projector's lobby shows
    scoring_mode: str = "speed"  # or "accuracy": a correct answer scores without a speed part


@dataclass(frozen=True)
class StoredPlayer:
    player_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID  # the practice session the player's answers are stored under
    nickname: str
    join_order: int
    kicked: bool
    team: int | None = None  # the team's index in team mode
    first_question: int = 0  # the first question the player counts for in their team's mean
    # The accommodations their teacher set: a multiple of the time limit (None: untimed), and
    # scoring without a speed part.
    time_multiplier: Decimal | None = Decimal(1)
    accuracy_scoring: bool = False


@dataclass(frozen=True)
class StoredFact:
    question_id: uuid.UUID
    operand1: int
    operand2: int
    operation: str
    correct_answer: Decimal


@dataclass(frozen=True)
class StoredQuestion:
    index: int
    fact: StoredFact
    opened_at: dt.datetime | None
    closes_at: dt.datetime | None
    closed_at: dt.datetime | None


@dataclass(frozen=True)
class StoredAttempt:
    """A committed answer of a live game."""

    attempt_id: uuid.UUID
    session_id: uuid.UUID
    question_index: int
    question_id: uuid.UUID
    raw_input: str | None
    user_answer: Decimal
    is_correct: bool
    correct_answer: Decimal
    response_time_ms: int
    points: int
    input_method: str


@dataclass(frozen=True)
class PersonalFact:
    """The fact a player was dealt in one round of a personal room."""

    index: int
    player_id: uuid.UUID
    fact: StoredFact


@dataclass(frozen=True)
class RoomHistory:
    """Everything a room has recorded, to rebuild it on another worker or after a restart."""

    players: list[StoredPlayer]  # by join order
    questions: list[StoredQuestion]  # by index
    personal: list[PersonalFact]
    attempts: list[StoredAttempt]  # by question index, then as they were answered


@dataclass(frozen=True)
class BoardRow:
    """What the record says of one player still in the room, to rebuild its board."""

    player_id: uuid.UUID
    join_order: int
    score: int
    total_response_ms: int
    # The committed answers the row sums, so that an after-commit board update that arrives
    # after a rebuild which already counted its answer is skipped (rooms/registry.py).
    attempt_ids: frozenset[uuid.UUID] = frozenset()


@dataclass(frozen=True)
class ClaimedRoom:
    """A room this worker now owns: its row as of the claim, and the epoch its writes carry."""

    row: StoredRoom
    epoch: int


class RoomMoved(Exception):
    """A write carried an owner epoch that is no longer the room's: another worker claimed the
    room since, and this one must stop running it. Nothing of the write was stored."""

    def __init__(self, room_id: uuid.UUID) -> None:
        super().__init__(f"room {room_id} is owned by another worker now")
        self.room_id = room_id


@dataclass(frozen=True)
class TeamQuestionRow:
    """What one team did at one closed question, as the record says: how many players
    counted for it (not kicked, joined by then), their points, how many answered right."""

    team: int
    index: int
    members: int
    points: int
    correct: int


@dataclass(frozen=True)
class RosteredStudent:
    user_id: uuid.UUID
    teacher_id: uuid.UUID
    display_name: str


class RoomStore(Protocol):
    # finding rooms and students
    async def room_by_id(self, room_id: uuid.UUID) -> StoredRoom | None: ...
    async def open_room_by_code(self, code: str) -> StoredRoom | None:
        """The room a join code names; a finished room has given its code back."""
    async def finished_since(self, code: str, since: dt.datetime) -> bool:
        """Did a game with this code end after `since`?"""
    async def student_for_key(self, student_key: str) -> RosteredStudent | None: ...

    # owning a room
    async def claim(self, room_id: uuid.UUID, worker: str) -> ClaimedRoom | None:
        """Make `worker` the room's owner: its owner epoch goes up by one, atomically, after
        every write of the previous owner still committing. None if there is no such room."""

    # rebuilding a room
    async def history(self, room_id: uuid.UUID) -> RoomHistory: ...
    async def board_rows(self, room_id: uuid.UUID) -> list[BoardRow]:
        """Per player not kicked: join order, and points and response time committed."""
    async def team_rows(self, room_id: uuid.UUID) -> list[TeamQuestionRow]:
        """Per team and closed question, what its counted players did (team mode)."""

    # facts
    async def track_facts(self, track_id: uuid.UUID, operation: str) -> list[StoredFact]:
        """A track's two-operand facts: those of `operation` if it has any, else all."""
    async def find_or_create_facts(self, facts: Sequence[tuple[int, int, str, Decimal]]) -> list[uuid.UUID]:
        """The question id of each (operand1, operand2, operation, answer) of the free-standing
        bank, created if missing; safe when several workers create the same fact at once."""
    async def choose_personal_facts(self, track_id: uuid.UUID,
                                    students: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
                                    today: dt.date, operation: str | None) -> dict[uuid.UUID, StoredFact]:
        """For each (user_id, question_id to avoid), the fact of the track they practise next;
        a student with nothing to choose is left out."""

    # a room's writes: each carries the owner epoch of the claim, and raises RoomMoved (having
    # stored nothing) when the room has been claimed since
    async def create_player(self, room: StoredRoom, nickname: str, join_order: int,
                            user_id: uuid.UUID | None, *, epoch: int, team: int | None = None,
                            first_question: int = 0) -> StoredPlayer:
        """A player and their practice session (for a guest, a pseudonymous user too). A
        rostered student already in the room gets their existing player back."""
    async def kick_player(self, room_id: uuid.UUID, player_id: uuid.UUID, at: dt.datetime, *,
                          epoch: int) -> None: ...
    async def move_player(self, room_id: uuid.UUID, player_id: uuid.UUID, team: int, *,
                          epoch: int) -> None:
        """The player is on team `team` from now on."""
    async def record_game_start(self, room_id: uuid.UUID, question_ids: Sequence[uuid.UUID],
                                at: dt.datetime, *, epoch: int) -> bool:
        """Store the game's questions and mark it playing; False if it had started already."""
    async def record_personal_questions(self, room_id: uuid.UUID, index: int,
                                        chosen: Mapping[uuid.UUID, uuid.UUID], *, epoch: int) -> None:
        """Which fact (question_id) each player got in round `index`; a player already
        recorded keeps theirs."""
    async def mark_question_opened(self, room_id: uuid.UUID, index: int, opened_at: dt.datetime,
                                   closes_at: dt.datetime, *, epoch: int) -> None: ...
    async def mark_question_closed(self, room_id: uuid.UUID, index: int, at: dt.datetime, *,
                                   epoch: int) -> None: ...
    async def finish_game(self, room_id: uuid.UUID, at: dt.datetime, *, epoch: int) -> None:
        """The game is over: its code is free again and every player's session ends."""


class LivePointsRecord(Protocol):
    """Points from live games, as committed (persistence/live_points.py)."""

    async def live_points(self, user_ids: Sequence[uuid.UUID],
                          windows: Sequence[tuple[dt.datetime, dt.datetime]]) -> dict[uuid.UUID, list[int]]:
        """For each user who scored in any window: their points answered in each [start, end)."""


# --- durable answers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LiveAttempt:
    """An answer the room accepted, to be committed before it is acknowledged."""

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID
    question_id: uuid.UUID
    question_index: int
    raw_input: str
    user_answer: Decimal
    correct_answer: Decimal
    response_time_ms: int
    answered_at: dt.datetime
    input_method: str
    points: int
    # The room and the owner epoch of the worker that accepted it: the writer stores it only
    # while that worker still owns the room (else AnswerRejected "room_moved").
    room_id: uuid.UUID
    owner_epoch: int


@dataclass(frozen=True, slots=True)
class CommittedAttempt:
    """What the record holds for an attempt once committed: for a `duplicate` (its attempt_id
    was stored before), the stored row's values."""

    attempt_id: uuid.UUID
    is_correct: bool
    points: int
    response_time_ms: int
    duplicate: bool


@dataclass(frozen=True, slots=True)
class CommittedAnswer:
    """A newly committed live answer's points, as the boards need them."""

    session_id: uuid.UUID
    user_id: uuid.UUID
    points: int
    response_time_ms: int
    attempt_id: uuid.UUID | None = None


class AnswerRejected(Exception):
    """The attempt was not stored; `code` is the writer's (storage_unavailable, room_moved: the
    room has another owner now, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


CommitHook = Callable[[Sequence[CommittedAnswer]], Awaitable[None]]


class AnswerWriter(Protocol):
    async def submit(self, attempt: LiveAttempt) -> CommittedAttempt:
        """Returns only once the attempt is committed; AnswerRejected if it was not."""
    def on_committed(self, hook: CommitHook) -> None:
        """`hook` runs once per committed batch holding new live answers, after COMMIT."""


# --- connections --------------------------------------------------------------------------


class ConnectionCensus(Protocol):
    """Who is connected to a room right now, on any worker: asked when a room is rebuilt on a
    new owner, which has counted nobody yet (rooms/cluster.py asks every worker)."""

    async def connected(self, room_id: uuid.UUID) -> Mapping[uuid.UUID, int]:
        """player_id → how many connections that player has to the room."""


# --- delivery -----------------------------------------------------------------------------

# A message's body: a wire payload of the contract (rooms/views.py builds them).
Payload = dict[str, Any]


class Broadcaster(Protocol):
    """Delivers a room's messages to its audiences; rooms/delivery.py decides which message
    goes to whom, the transport how (Socket.IO rooms)."""

    async def to_staff(self, room_id: uuid.UUID, event: str, payload: Payload) -> None:
        """The teacher's /host and the projector's /screen connections of the room."""
    async def to_players(self, room_id: uuid.UUID, event: str, payload: Payload) -> None:
        """Every player of the room, one copy for all."""
    async def to_each_player(self, event: str, payloads: Mapping[uuid.UUID, Payload],
                             connections: Mapping[uuid.UUID, int]) -> None:
        """Each player their own payload. `connections`: how many connections the room counts
        for each player, so the transport can tell a player all of whose are local."""
    async def send_off(self, room_id: uuid.UUID, player_id: uuid.UUID, event: str,
                       payload: Payload) -> None:
        """A player's last message: their connections then leave the room."""
