"""What the three namespaces share: acks, refusals, payload parsing, flood control, and a
guard so that nothing a client sends can crash the server."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, NoReturn, TypeVar

import socketio
from aiohttp import web
from pydantic import BaseModel, ValidationError
from socketio.exceptions import ConnectionRefusedError

from rooms.room import RoomError
from server import app_keys
from server.client_address import client_address
from server.live.rate_limits import TokenBucket
from server.live.services import LiveServices
from server.metrics import Metrics

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

HOST_EVENTS = frozenset({"start", "next", "close_question", "end", "kick", "move", "lock"})
# A refused code takes at least this long, whatever the reason, so timing reveals nothing.
ROOM_NOT_FOUND_FLOOR_S = 0.2


def ok(**fields: object) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str, retry_after_ms: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if retry_after_ms is not None:  # send it again after this long (the room is moving)
        body["retry_after_ms"] = retry_after_ms
    return {"ok": False, "error": body}


def parse(model: type[M], data: object) -> M:
    try:
        return model.model_validate({} if data is None else data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "payload"
        raise RoomError("invalid_payload", f"{where}: {first.get('msg', 'invalid')}") from None


async def refuse(code: str, message: str, started: float | None = None,
                 **extra: object) -> NoReturn:
    if code == "room_not_found" and started is not None:
        await asyncio.sleep(max(0.0, started + ROOM_NOT_FOUND_FLOOR_S - time.monotonic()))
        message = "room not found"
    raise ConnectionRefusedError(message, {"code": code, **extra})


async def refuse_rate_limited(retry_after_s: int, what: str) -> NoReturn:
    await refuse("rate_limited", f"too many {what}; try again in {retry_after_s} s",
                 retry_after_s=retry_after_s)


def connection_address(environ: dict[str, Any]) -> str:
    """The client's address as server/client_address.py found it for the handshake request."""
    return client_address(environ.get("aiohttp.request"))


class LiveNamespace(socketio.AsyncNamespace):
    def __init__(self, namespace: str, app: web.Application) -> None:
        super().__init__(namespace)
        self._app = app

    @property
    def live(self) -> LiveServices:
        return self._app[app_keys.LIVE]

    @property
    def metrics(self) -> Metrics:
        return self._app[app_keys.METRICS]

    async def start_session(self, sid: str, **fields: object) -> None:
        await self.save_session(sid, {"bucket": TokenBucket(), **fields})

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            try:
                accepted = await super().trigger_event(event, *args)
                if accepted is not False:
                    self.metrics.client_connected(self.namespace)
                return accepted
            except ConnectionRefusedError:
                raise
            except RoomError as exc:  # e.g. the room is moving to another worker
                data: dict[str, Any] = {"code": exc.code}
                if exc.retry_after_ms is not None:
                    data["retry_after_ms"] = exc.retry_after_ms
                raise ConnectionRefusedError(exc.message, data) from None
            except Exception:  # e.g. the database is down: refuse cleanly, never hang
                if self.server.manager.is_connected(args[0], self.namespace):
                    log.exception("%s connect failed", self.namespace)
                else:  # the client went away mid-connect, taking its session along
                    log.info("%s client left while connecting", self.namespace)
                raise ConnectionRefusedError("the server cannot take you right now",
                                             {"code": "unavailable"}) from None
        if event == "disconnect":
            self.metrics.client_disconnected(self.namespace)
            try:
                return await super().trigger_event(event, *args)
            except Exception:
                log.exception("%s disconnect failed", self.namespace)
                return None
        sid = args[0] if args else None
        handler = getattr(self, f"on_{event}", None)
        if handler is None:
            if event in HOST_EVENTS:
                return error("forbidden", f"{event} is for the teacher's /host connection")
            return error("unknown_event", f"there is no event {event!r} here")
        try:
            session = await self.get_session(sid)
            if not session.get("bucket") or not session["bucket"].take():
                wait_ms = session["bucket"].wait_ms() if session.get("bucket") else 1000
                return error("rate_limited", "too many messages; slow down", wait_ms)
            if len(args) > 2:
                raise RoomError("invalid_payload", "send one payload object")
            payload = args[1] if len(args) == 2 else None
            if event == "answer":  # arrival → ack, commit included: the latency students feel
                with self.metrics.time_ack():
                    return await handler(sid, session, payload)
            return await handler(sid, session, payload)
        except RoomError as exc:
            return error(exc.code, exc.message, exc.retry_after_ms)
        except Exception:  # a bug must cost one ack, not the room or the server
            log.exception("%s %s failed", self.namespace, event)
            return error("internal_error", "something went wrong; the game goes on")
