"""The Socket.IO server with its inbound packets checked before python-socketio acts on them.

python-socketio dispatches an EVENT packet's first element as the event name: a client could
send `connect` or `disconnect` and run those handlers, or a list as the name and raise
outside any namespace guard; a BINARY_EVENT/BINARY_ACK packet (never used with msgpack)
leaves the connection waiting for attachments forever. Here an event must be named by a
string that is not reserved (else its ack is `invalid_payload`), and a packet that cannot be
decoded, or is of a type a client never needs to send, ends that connection. Each is one
warning line in the log, rate-limited, never a traceback.
"""

from __future__ import annotations

import binascii
import logging
import time
from typing import Any

import engineio
import socketio
from aiohttp import web
from socketio import packet

from server.live.namespace_base import error

log = logging.getLogger(__name__)

RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "__disconnect_final"})
CLIENT_PACKET_TYPES = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})


class RateLimitedLog:
    """At most one line per `every_s`; the lines held back are counted in the next one."""

    def __init__(self, logger: logging.Logger, every_s: float = 1.0) -> None:
        self._logger = logger
        self._every = every_s
        self._last = float("-inf")
        self._held_back = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self._every:
            self._held_back += 1
            return
        held, self._held_back, self._last = self._held_back, 0, now
        suffix = f" ({held} more like it not logged)" if held else ""
        self._logger.warning(message + suffix, *args)


class OneLinePerSecond(logging.Filter):
    """For the loggers of python-socketio and python-engineio: a record with a traceback
    becomes one line naming the exception, and at most one line a second gets through."""

    def __init__(self, every_s: float = 1.0) -> None:
        super().__init__()
        self._every = every_s
        self._last = float("-inf")
        self._held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        if now - self._last < self._every:
            self._held_back += 1
            return False
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{message}: {type(exc).__name__}: {exc}"
        message = " ".join(message.split())[:500]   # one line, whatever the exception says
        if self._held_back:
            message += f" ({self._held_back} more like it not logged)"
        record.msg, record.args, record.exc_info, record.exc_text = message, (), None, None
        self._held_back, self._last = 0, now
        return True


def library_logger(name: str) -> logging.Logger:
    """A logger for python-socketio / python-engineio: warnings and errors only, each one
    line, rate-limited (a flood of malformed packets must not fill the disk)."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, OneLinePerSecond) for f in logger.filters):
        logger.addFilter(OneLinePerSecond())
    return logger


# Engine.IO v4 long-polling: what a client may POST. Packets are separated by \x1e; each is a
# type digit and its data, or `b` and base64 for binary. A client sends messages (4), pongs
# (3) and close (1); pings and upgrades never go this way.
POLLING_PACKET_TYPES = frozenset("134b")
POLLING_BODY: web.RequestKey[bytes] = web.RequestKey("mathrally_polling_body", bytes)


def polling_body_problem(body: bytes) -> str | None:
    """Why a long-polling POST body is not one a client sends, or None."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the body is not UTF-8 text"
    if not text:
        return "the body is empty"
    for encoded in text.split("\x1e"):
        if not encoded or encoded[0] not in POLLING_PACKET_TYPES:
            return "the body holds a packet a client does not send"
        if encoded[0] == "b":
            try:
                binascii.a2b_base64(encoded[1:].encode("ascii"), strict_mode=True)
            except (binascii.Error, ValueError, UnicodeEncodeError):
                return "a binary packet is not base64"
    return None


class _Body:
    """A request body already read, as the Engine.IO driver reads its input."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, _length: int = -1) -> bytes:
        return self._body


class GuardedEngine(engineio.AsyncServer):
    """Engine.IO with long-polling POST bodies checked first: junk gets a quick 400 instead
    of a 500 or a request that waits for a poll that never comes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.malformed = RateLimitedLog(log)
        driver: dict[str, Any] = getattr(self, "_async")  # noqa: B009 - set by the base class, untyped
        translate = driver["translate_request"]

        def translate_read_body(request: web.Request, *rest: Any, **kwargs: Any) -> dict[str, Any]:
            environ: dict[str, Any] = translate(request, *rest, **kwargs)
            body = request.get(POLLING_BODY)
            if body is not None:
                environ["wsgi.input"] = _Body(body)
            return environ

        # The driver table is shared by every server of the process: this one gets a copy.
        self._async = {**driver, "translate_request": translate_read_body}

    async def handle_request(self, *args: Any, **kwargs: Any) -> web.StreamResponse | None:
        request = args[0] if args else None
        if (isinstance(request, web.Request) and request.method == "POST"
                and request.query.get("transport") == "polling"):
            body = await request.read()
            problem = polling_body_problem(body)
            if problem is not None:
                self.malformed.warning("a long-polling POST refused: %s", problem)
                return web.json_response(
                    {"error": {"code": "invalid_payload", "message": problem}}, status=400)
            request[POLLING_BODY] = body
        response: web.StreamResponse | None = await super().handle_request(*args, **kwargs)
        return response


class GuardedServer(socketio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.malformed = RateLimitedLog(log)

    def _engineio_server_class(self) -> type[GuardedEngine]:
        return GuardedEngine

    async def _handle_eio_message(self, eio_sid: str, data: object) -> None:
        if eio_sid not in self.environ:   # closed already (after a malformed packet)
            return
        try:
            pkt = self.packet_class(encoded_packet=data)
        except Exception as exc:  # junk of any shape: msgpack, a missing key, a bad type
            await self._refuse_connection(eio_sid, f"an undecodable packet ({type(exc).__name__})")
            return
        if pkt.packet_type not in CLIENT_PACKET_TYPES or not isinstance(pkt.namespace, str | None):
            await self._refuse_connection(eio_sid, f"a packet of type {pkt.packet_type!r}")
            return
        if pkt.packet_type == packet.ACK:
            if not isinstance(pkt.id, int):
                await self._refuse_connection(eio_sid, "an ack without a numeric id")
                return
        if pkt.packet_type != packet.EVENT:
            await super()._handle_eio_message(eio_sid, data)
            return
        if pkt.id is not None and not isinstance(pkt.id, int):
            await self._refuse_connection(eio_sid, "an event with a non-numeric ack id")
            return
        name = pkt.data[0] if isinstance(pkt.data, list) and pkt.data else None
        if isinstance(name, str) and name not in RESERVED_EVENTS:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
            return
        reason = f"reserved event name {name!r}" if isinstance(name, str) else "no event name"
        self.malformed.warning("socket %s sent %s", eio_sid, reason)
        namespace = pkt.namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if pkt.id is not None and sid is not None and self.manager.is_connected(sid, namespace):
            message = (f"{name!r} is reserved" if isinstance(name, str)
                       else "an event is named by a string")
            await self._send_packet(eio_sid, self.packet_class(
                packet.ACK, namespace=namespace, id=pkt.id, data=[error("invalid_payload", message)]))

    async def _refuse_connection(self, eio_sid: str, what: str) -> None:
        self.malformed.warning("socket %s sent %s; closing it", eio_sid, what)
        await self.eio.disconnect(eio_sid)
