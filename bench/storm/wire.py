"""Engine.IO 4 / Socket.IO 5 framing with the msgpack serializer, as python-socketio speaks it.

Over the websocket transport an Engine.IO packet is one frame: text frames carry a one-digit
packet type and an optional payload ("0{json}" open, "2" ping, "3" pong, "1" close); a binary
frame is an Engine.IO MESSAGE whose bytes are one Socket.IO packet. With the msgpack serializer
a Socket.IO packet is a msgpack map {type, nsp, data[, id]} (socketio/msgpack_packet.py), so
events and acks never use the text form or binary attachments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

# Engine.IO packet types (text-frame prefixes).
EIO_OPEN = "0"
EIO_CLOSE = "1"
EIO_PING = "2"
EIO_PONG = "3"

# Socket.IO packet types.
SIO_CONNECT = 0
SIO_DISCONNECT = 1
SIO_EVENT = 2
SIO_ACK = 3
SIO_CONNECT_ERROR = 4


@dataclass(frozen=True, slots=True)
class SioPacket:
    type: int
    nsp: str
    data: Any
    id: int | None


def websocket_url(base_http_url: str) -> str:
    """ws://host:port/socket.io/?EIO=4&transport=websocket from http://host:port."""
    base = base_http_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://"):]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://"):]
    return base + "/socket.io/?EIO=4&transport=websocket"


def parse_open(frame: str) -> dict[str, Any]:
    """The handshake the server sends first: {sid, upgrades, pingInterval, pingTimeout, maxPayload}."""
    if not frame.startswith(EIO_OPEN):
        raise ValueError(f"expected an Engine.IO OPEN packet, got {frame[:40]!r}")
    return json.loads(frame[1:])


def encode_connect(nsp: str, auth: dict[str, Any] | None) -> bytes:
    packet: dict[str, Any] = {"type": SIO_CONNECT, "nsp": nsp}
    if auth is not None:
        packet["data"] = auth
    return msgpack.packb(packet)


def encode_event(nsp: str, event: str, payload: Any, ack_id: int | None) -> bytes:
    packet: dict[str, Any] = {"type": SIO_EVENT, "nsp": nsp, "data": [event, payload]}
    if ack_id is not None:
        packet["id"] = ack_id
    return msgpack.packb(packet)


def decode(frame: bytes) -> SioPacket:
    raw = msgpack.unpackb(frame)
    return SioPacket(type=raw["type"], nsp=raw.get("nsp") or "/", data=raw.get("data"), id=raw.get("id"))
