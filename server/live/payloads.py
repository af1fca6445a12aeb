"""Typed, strict models of everything a client sends (unknown fields are refused)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
LaxUuid = Annotated[uuid.UUID, Field(strict=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class HostAuth(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    room_id: LaxUuid


class ScreenAuth(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    screen_key: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class GuestJoin(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    nickname: Annotated[str, StringConstraints(max_length=100)]


class StudentJoin(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=12)]
    student_key: Annotated[str, StringConstraints(min_length=1, max_length=16)]


class Rejoin(Strict):
    rejoin_token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class AnswerIn(Strict):
    index: Annotated[int, Field(ge=0, le=1000)]
    answer: Annotated[str, StringConstraints(max_length=32)]
    attempt_id: LaxUuid
    input_method: Literal["keyboard", "touch", "voice"] = "keyboard"


class Empty(Strict):
    pass


class KickIn(Strict):
    player_id: LaxUuid


class LockIn(Strict):
    locked: bool


class MoveIn(Strict):
    player_id: LaxUuid
    team: Annotated[int, Field(ge=0, le=7)]


def parse_play_auth(auth: object) -> GuestJoin | StudentJoin | Rejoin:
    """One of the three ways to join; ValueError if it is none of them."""
    if not isinstance(auth, dict):
        raise ValueError("auth must be an object")
    if "rejoin_token" in auth:
        return Rejoin.model_validate(auth)
    if "student_key" in auth:
        return StudentJoin.model_validate(auth)
    return GuestJoin.model_validate(auth)
