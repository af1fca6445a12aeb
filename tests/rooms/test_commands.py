"""Room commands as another worker receives them: the same command back, or a clean refusal."""

from __future__ import annotations

import uuid

import msgpack
import pytest

from rooms import commands

ROOM, PLAYER = uuid.uuid4(), uuid.uuid4()
EVERY_COMMAND = [
    commands.Join(ROOM, nickname="Ada"), commands.Join(ROOM, student_key="KX7P2M9Q"),
    commands.Rejoin(ROOM, PLAYER), commands.Disconnect(ROOM, PLAYER),
    commands.SubmitAnswer(ROOM, PLAYER, index=3, answer="56", attempt_id=uuid.uuid4(),
                          input_method="touch"),
    commands.ShowState(ROOM), commands.ShowState(ROOM, PLAYER),
    commands.ShowStates(ROOM, (PLAYER, uuid.uuid4()), staff=True), commands.Start(ROOM),
    commands.Next(ROOM), commands.CloseQuestion(ROOM), commands.End(ROOM),
    commands.Kick(ROOM, PLAYER), commands.Move(ROOM, PLAYER, 2), commands.Lock(ROOM, True),
]


def over_the_wire(data: object) -> object:
    return msgpack.unpackb(msgpack.packb(data))


def test_every_command_is_covered_here():
    assert {type(c) for c in EVERY_COMMAND} == set(commands.COMMANDS)
    assert len({c.NAME for c in commands.COMMANDS}) == len(commands.COMMANDS)


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda c: c.NAME)
def test_each_command_crosses_unchanged(command):
    assert commands.decode_command(over_the_wire(commands.encode_command(command))) == command


def test_replies_cross_with_their_types():
    welcome = commands.Welcome(ROOM, PLAYER, {"nickname": "Ada", "room": {"phase": "lobby"}},
                               {"phase": "lobby", "question": None, "score": 0})
    join = commands.Join(ROOM, nickname="Ada")
    assert commands.decode_reply(join, over_the_wire(commands.encode_reply(join, welcome))) == welcome
    ack = {"ok": True, "is_correct": False, "correct_answer": 2.5, "points": 0}
    submit = EVERY_COMMAND[4]
    assert commands.decode_reply(submit, over_the_wire(commands.encode_reply(submit, ack))) == ack
    states = commands.States({PLAYER: {"phase": "question", "index": 2}}, {"phase": "question"},
                             {"players": [], "count": 1, "locked": False})
    show = commands.ShowStates(ROOM, (PLAYER,), staff=True)
    assert commands.decode_reply(show, over_the_wire(commands.encode_reply(show, states))) == states
    with pytest.raises(commands.CommandRefused):
        commands.decode_reply(join, {"room_id": "not a uuid"})


def encoded(of=EVERY_COMMAND[4], **changes):
    return {**commands.encode_command(of), **changes}


@pytest.mark.parametrize("data", [
    None, [1, 2], "answer",
    encoded(command="teleport"),
    encoded(command=None),
    encoded(version=2),
    encoded(version="1"),
    encoded(fields={**encoded()["fields"], "fencing_token": 4}),
    encoded(fields={**encoded()["fields"], "attempt_id": "not a uuid"}),
    encoded(fields={"room_id": str(ROOM)}),
    encoded(fields=[1]),
], ids=["none", "list", "text", "unknown", "no-name", "newer", "version-text", "extra-field",
        "bad-uuid", "missing-fields", "fields-list"])
def test_what_cannot_be_run_as_sent_is_refused_as_unavailable(data):
    with pytest.raises(commands.CommandRefused) as refused:
        commands.decode_command(data)
    assert refused.value.code == "unavailable" and refused.value.message
