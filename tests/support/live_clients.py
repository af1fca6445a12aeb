"""Real python-socketio clients (msgpack, websocket only) that record what they receive."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict

import socketio

WAIT_S = 10.0


class Refused(Exception):
    def __init__(self, code: str | None, message: str | None, data: dict | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data or {}


class LiveClient:
    def __init__(self, base_url: str, namespace: str, *, transport: str = "websocket",
                 http_session=None) -> None:
        """`transport` "polling" is long-polling only (a school proxy that blocks websockets);
        `http_session` an aiohttp session of its own (its cookie jar: a browser's)."""
        self.base_url = base_url
        self.namespace = namespace
        self.transport = transport
        extra = {} if http_session is None else {"http_session": http_session, "ssl_verify": False}
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=False, **extra)
        self.received: dict[str, list] = defaultdict(list)
        self._changed = asyncio.Condition()
        self._refusal: dict | None = None
        self.sio.on("*", self._on_any, namespace=namespace)
        self.sio.on("connect_error", self._on_connect_error, namespace=namespace)
        self.disconnected = asyncio.Event()
        self.sio.on("disconnect", self._on_disconnect, namespace=namespace)

    async def _on_any(self, event: str, data=None) -> None:
        self.received[event].append(data)
        async with self._changed:
            self._changed.notify_all()

    async def _on_disconnect(self, reason=None) -> None:
        self.disconnected.set()

    async def _on_connect_error(self, data=None) -> None:
        self._refusal = data if isinstance(data, dict) else {"message": data}

    async def connect(self, auth: dict | object, headers: dict[str, str] | None = None) -> LiveClient:
        try:
            await self.sio.connect(self.base_url, namespaces=[self.namespace], transports=[self.transport],
                                   auth=auth, headers=headers or {}, wait_timeout=WAIT_S)
        except socketio.exceptions.ConnectionError:
            refusal = self._refusal or {}
            data = refusal.get("data") or {}
            if not isinstance(data, dict):
                data = {}
            raise Refused(data.get("code"), refusal.get("message"), data) from None
        return self

    async def call(self, event: str, data=None) -> dict:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=WAIT_S)

    async def wait_for(self, event: str, count: int = 1, predicate=None, within_s: float = WAIT_S):
        """The `count`-th received `event` matching `predicate`."""
        def matching():
            return [d for d in self.received[event] if predicate is None or predicate(d)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), within_s)
        return matching()[count - 1]

    def last(self, event: str):
        return self.received[event][-1] if self.received[event] else None

    async def disconnect(self) -> None:
        await self.sio.disconnect()


async def connect_host(url: str, token: str, room_id) -> LiveClient:
    host = await LiveClient(url, "/host").connect({"token": token, "room_id": str(room_id)})
    await host.wait_for("state")
    return host


async def connect_screen(url: str, code: str, screen_key: str) -> LiveClient:
    screen = await LiveClient(url, "/screen").connect({"code": code, "screen_key": screen_key})
    await screen.wait_for("state")
    return screen


async def connect_student(url: str, code: str, nickname: str) -> LiveClient:
    student = await LiveClient(url, "/play").connect({"code": code, "nickname": nickname})
    await student.wait_for("state")
    return student


def new_attempt() -> str:
    return str(uuid.uuid4())


async def answer_twice(student: LiveClient, index: int, raw: str) -> tuple[str, dict]:
    """An answer, then the same attempt resent (a retry after a lost ack): the resend must be
    a duplicate with the first ack's points. The attempt id and the first ack."""
    attempt = new_attempt()
    ack = await student.call("answer", {"index": index, "answer": raw, "attempt_id": attempt})
    again = await student.call("answer", {"index": index, "answer": raw, "attempt_id": attempt})
    assert ack["ok"] and again["duplicate"] and again["points"] == ack["points"], (ack, again)
    return attempt, ack


SECRET = "test-secret-key-for-rejoin-tokens"


def live_settings(database_url: str, redis_url: str | None, redis_prefix: str):
    from server.settings import Settings

    return Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                    secret_key=SECRET, migrate_on_start=False, batch_window_ms=2)
