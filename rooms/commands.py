"""What clients ask of a room, as typed commands, and how a command crosses between workers.

The transport builds a command and hands it to the gateway (rooms/gateway.py). On the worker
that owns the room the gateway runs it on the game directly: nothing is encoded. Only when
another worker owns the room does the command travel, through rooms/cluster.Forwarder:
`encode_command` turns it into plain data with its name and version, and the owner's
`decode_command` validates that back into the same command before running it as a local call
would. A command this worker does not know, or knows in another version (two versions of the
server side by side during an upgrade), is refused with `unavailable`, never a crash.

To change what a command carries, give it a new VERSION (and keep decoding the old one
while older workers may still send it).
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError

from rooms import joining, views
from rooms.room import Player, RoomError

if TYPE_CHECKING:
    from rooms.game import LiveGame

R = TypeVar("R")

# A wire payload of the contract (an ack, a state): built by rooms/views.py.
Payload = dict[str, Any]


@dataclass(frozen=True)
class Welcome:
    """What a player who joined or came back gets: the `joined` and `state` events' payloads
    (the transport adds the rejoin token to `joined`)."""

    room_id: uuid.UUID
    player_id: uuid.UUID
    joined: Payload
    state: Payload


class RoomCommand(Generic[R]):
    """One request to one room; `run` carries it out on the game, on the owning worker."""

    NAME: ClassVar[str]
    VERSION: ClassVar[int] = 1
    REPLY: ClassVar[Any]  # the type `run` returns, to decode a forwarded reply
    # Decoding refuses fields a command does not have (another version's).
    __pydantic_config__ = ConfigDict(extra="forbid")

    room_id: uuid.UUID

    async def run(self, game: LiveGame) -> R:
        raise NotImplementedError


async def _welcome(game: LiveGame, player: Player) -> Welcome:
    return Welcome(game.room_id, player.player_id, views.joined_payload(game.room, player, ""),
                   await game.state(player))


@dataclass(frozen=True)
class Join(RoomCommand[Welcome]):
    NAME = "join"
    REPLY = Welcome
    room_id: uuid.UUID
    nickname: str | None = None
    student_key: str | None = None

    async def run(self, game: LiveGame) -> Welcome:
        player = await joining.join_game(game, nickname=self.nickname, student_key=self.student_key)
        return await _welcome(game, player)


@dataclass(frozen=True)
class Rejoin(RoomCommand[Welcome]):
    NAME = "rejoin"
    REPLY = Welcome
    room_id: uuid.UUID
    player_id: uuid.UUID

    async def run(self, game: LiveGame) -> Welcome:
        return await _welcome(game, joining.rejoin_game(game, self.player_id))


@dataclass(frozen=True)
class Disconnect(RoomCommand[None]):
    NAME = "disconnect"
    REPLY = None
    room_id: uuid.UUID
    player_id: uuid.UUID

    async def run(self, game: LiveGame) -> None:
        game.disconnect(self.player_id)


@dataclass(frozen=True)
class SubmitAnswer(RoomCommand[Payload]):
    """The ack comes back only once the answer is committed."""

    NAME = "answer"
    REPLY = Payload
    room_id: uuid.UUID
    player_id: uuid.UUID
    index: int
    answer: str
    attempt_id: uuid.UUID
    input_method: str

    async def run(self, game: LiveGame) -> Payload:
        return await game.answer(self.player_id, self.index, self.answer, self.attempt_id,
                                 self.input_method)


@dataclass(frozen=True)
class ShowState(RoomCommand[Payload]):
    """A player's state, or with no player the staff's (the lobby included)."""

    NAME = "state"
    REPLY = Payload
    room_id: uuid.UUID
    player_id: uuid.UUID | None = None

    async def run(self, game: LiveGame) -> Payload:
        if self.player_id is None:
            return {**await game.state(None), "lobby": views.lobby_payload(game.room)}
        return await game.state(game.player(self.player_id))


@dataclass(frozen=True)
class States:
    """What a worker re-sends to its connections of a room: the staff's `lobby` and `state`
    (when it asked for them) and each player's `state`."""

    players: dict[uuid.UUID, Payload]
    staff_state: Payload | None = None
    staff_lobby: Payload | None = None


@dataclass(frozen=True)
class ShowStates(RoomCommand[States]):
    """The states of several players of one room at once (and the staff's): for a worker
    whose clients may have missed broadcasts. A player no longer in the room has none."""

    NAME = "states"
    REPLY = States
    room_id: uuid.UUID
    player_ids: tuple[uuid.UUID, ...] = ()
    staff: bool = False

    async def run(self, game: LiveGame) -> States:
        players = {}
        for player_id in self.player_ids:
            player = game.room.players.get(player_id)
            if player is not None and not player.kicked:
                players[player_id] = await game.state(player)
        if not self.staff:
            return States(players)
        return States(players, await game.state(None), views.lobby_payload(game.room))


def _phase_ack(game: LiveGame) -> Payload:
    return {"ok": True, "phase": str(game.room.phase), "index": game.room.index}


@dataclass(frozen=True)
class Start(RoomCommand[Payload]):
    NAME = "start"
    REPLY = Payload
    room_id: uuid.UUID

    async def run(self, game: LiveGame) -> Payload:
        await game.start()
        return _phase_ack(game)


@dataclass(frozen=True)
class Next(RoomCommand[Payload]):
    NAME = "next"
    REPLY = Payload
    room_id: uuid.UUID

    async def run(self, game: LiveGame) -> Payload:
        await game.next()
        return _phase_ack(game)


@dataclass(frozen=True)
class CloseQuestion(RoomCommand[Payload]):
    NAME = "close_question"
    REPLY = Payload
    room_id: uuid.UUID

    async def run(self, game: LiveGame) -> Payload:
        await game.close_question()
        return _phase_ack(game)


@dataclass(frozen=True)
class End(RoomCommand[Payload]):
    NAME = "end"
    REPLY = Payload
    room_id: uuid.UUID

    async def run(self, game: LiveGame) -> Payload:
        await game.end()
        return _phase_ack(game)


@dataclass(frozen=True)
class Kick(RoomCommand[Payload]):
    NAME = "kick"
    REPLY = Payload
    room_id: uuid.UUID
    player_id: uuid.UUID

    async def run(self, game: LiveGame) -> Payload:
        await game.kick(self.player_id)
        return {"ok": True}


@dataclass(frozen=True)
class Move(RoomCommand[Payload]):
    """The teacher puts a player on another team (team mode, in the lobby)."""

    NAME = "move"
    REPLY = Payload
    room_id: uuid.UUID
    player_id: uuid.UUID
    team: int

    async def run(self, game: LiveGame) -> Payload:
        await game.move(self.player_id, self.team)
        return {"ok": True, "player_id": str(self.player_id), "team": self.team}


@dataclass(frozen=True)
class Lock(RoomCommand[Payload]):
    NAME = "lock"
    REPLY = Payload
    room_id: uuid.UUID
    locked: bool

    async def run(self, game: LiveGame) -> Payload:
        await game.lock(self.locked)
        return {"ok": True, "locked": self.locked}


COMMANDS: tuple[type[RoomCommand[Any]], ...] = (
    Join, Rejoin, Disconnect, SubmitAnswer, ShowState, ShowStates, Start, Next, CloseQuestion, End,
    Kick, Move, Lock)


class CommandRefused(RoomError):
    """A forwarded command this worker cannot run as sent (unknown, another version, or
    fields that do not fit): the caller may retry, by then perhaps at another worker."""

    def __init__(self, message: str) -> None:
        super().__init__("unavailable", message)


@functools.cache
def _by_name() -> dict[str, type[RoomCommand[Any]]]:
    return {command.NAME: command for command in COMMANDS}


_adapters: dict[Any, TypeAdapter[Any]] = {}


def _adapter(kind: Any) -> TypeAdapter[Any]:
    """A command's or a reply's validator, built on first use (a few milliseconds each)."""
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


def encode_command(command: RoomCommand[Any]) -> dict[str, Any]:
    """Plain data (msgpack-ready) for another worker: name, version and fields."""
    return {"command": command.NAME, "version": command.VERSION,
            "fields": _adapter(type(command)).dump_python(command, mode="json")}


def decode_command(data: object) -> RoomCommand[Any]:
    """The command `encode_command` made, or CommandRefused."""
    if not isinstance(data, dict):
        raise CommandRefused("a forwarded command must be a map")
    name, version = data.get("command"), data.get("version")
    kind = _by_name().get(name) if isinstance(name, str) else None
    if kind is None:
        raise CommandRefused(f"this server has no room command {name!r}")
    if version != kind.VERSION:
        raise CommandRefused(f"this server runs {name} version {kind.VERSION}, not {version!r}")
    try:
        command: RoomCommand[Any] = _adapter(kind).validate_python(data.get("fields"))
    except ValidationError as exc:
        raise CommandRefused(f"{name} version {version}: {exc.errors()[0].get('msg', 'invalid')}") from None
    return command


def encode_reply(command: RoomCommand[R], result: R) -> object:
    return _adapter(command.REPLY).dump_python(result, mode="json")


def decode_reply(command: RoomCommand[R], data: object) -> R:
    """The owner's reply to `command`, typed as a local run would return it."""
    try:
        result: R = _adapter(command.REPLY).validate_python(data)
    except ValidationError:
        raise CommandRefused(f"the reply to {command.NAME} does not fit") from None
    return result
