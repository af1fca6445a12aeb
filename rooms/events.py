"""What a room publishes, in order, for the transport to deliver."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LobbyChanged:
    """The lobby as the teacher and the projector show it (players, teams, lock) changed."""


@dataclass(frozen=True)
class PlayerCountChanged:
    """How many players the room has changed: the students' lobby shows the number."""


@dataclass(frozen=True)
class QuestionOpened:
    index: int
    closes_at_epoch_ms: int


@dataclass(frozen=True)
class AnswerProgress:
    index: int
    answered: int
    players: int


@dataclass(frozen=True)
class LeaderboardMoved:
    """Committed answers changed the room's board while question `index` is open."""

    index: int


@dataclass(frozen=True)
class QuestionClosed:
    index: int
    correct_answer: Decimal | None  # None for a personal round
    answered: int
    correct: int
    average_response_time_ms: int | None


@dataclass(frozen=True)
class PlayerKicked:
    player_id: uuid.UUID


@dataclass(frozen=True)
class TeamChanged:
    """The teacher moved a player to another team (in the lobby)."""

    player_id: uuid.UUID


@dataclass(frozen=True)
class GameOver:
    pass


RoomEvent = (LobbyChanged | PlayerCountChanged | QuestionOpened | AnswerProgress | LeaderboardMoved
             | QuestionClosed | PlayerKicked | TeamChanged | GameOver)
