"""A minimal Socket.IO client over one raw websocket, light enough to run thousands per process.

The python-socketio client is heavier than the server it would measure, so the load generator
speaks the wire format itself (bench/storm/wire.py). One `SocketClient` is one Engine.IO connection
joined to one namespace; events go to a plain callback stamped with their arrival time, acks
resolve the future `emit` returned. Two websocket libraries can carry it (`--client`), because
which one is lighter per connection is a measurement, not a guess (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
from collections.abc import Callable
from typing import Any

from bench.storm import wire

EventHandler = Callable[[str, Any, float], None]


class ConnectRefused(Exception):
    """The server answered CONNECT with CONNECT_ERROR; `data` is {message, data: {code}}."""

    def __init__(self, data: Any) -> None:
        super().__init__(repr(data))
        self.data = data

    @property
    def code(self) -> str | None:
        if isinstance(self.data, dict) and isinstance(self.data.get("data"), dict):
            return self.data["data"].get("code")
        return None


class ConnectionLost(Exception):
    pass


class ConnectTimeout(Exception):
    pass


HANDSHAKE_TIMEOUT_S = 30.0


class _WebsocketsTransport:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._ws: Any = None
        self._tls = tls

    async def open(self, url: str, compression: bool, local_address: str | None) -> None:
        from websockets.asyncio.client import connect

        secure = {"ssl": self._tls} if self._tls is not None and url.startswith("wss:") else {}
        self._ws = await connect(url, ping_interval=None, max_size=2**20, open_timeout=30,
                                 compression="deflate" if compression else None,
                                 local_addr=(local_address, 0) if local_address else None, **secure)

    async def recv(self) -> str | bytes | None:
        from websockets.exceptions import ConnectionClosed

        try:
            return await self._ws.recv()
        except ConnectionClosed:
            return None

    async def send(self, frame: str | bytes) -> None:
        await self._ws.send(frame)

    async def close(self) -> None:
        await self._ws.close()


class _AiohttpTransport:
    def __init__(self, session: Any) -> None:
        self._session = session
        self._ws: Any = None

    async def open(self, url: str, compression: bool, local_address: str | None) -> None:
        from aiohttp import ClientWSTimeout

        async with asyncio.timeout(30):
            self._ws = await self._session.ws_connect(url, autoping=False, compress=15 if compression else 0,
                                                      max_msg_size=2**20,
                                                      timeout=ClientWSTimeout(ws_close=10))

    async def recv(self) -> str | bytes | None:
        from aiohttp import WSMsgType

        msg = await self._ws.receive()
        if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            return msg.data
        return None

    async def send(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await self._ws.send_bytes(frame)
        else:
            await self._ws.send_str(frame)

    async def close(self) -> None:
        await self._ws.close()


class TransportFactory:
    """Builds transports of one kind; aiohttp needs a ClientSession per source address (lazily)."""

    def __init__(self, kind: str, compression: bool = False, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: how wss:// servers are verified (a test's own certificate authority)."""
        if kind not in ("websockets", "aiohttp"):
            raise ValueError(f"unknown client library {kind!r}")
        self.kind = kind
        self.compression = compression
        self.tls = tls
        self._sessions: dict[str | None, Any] = {}

    def make(self, local_address: str | None = None) -> Any:
        if self.kind == "websockets":
            return _WebsocketsTransport(self.tls)
        session = self._sessions.get(local_address)
        if session is None:
            import aiohttp

            # No per-host limit: every student is its own connection to the same server.
            bind = (local_address, 0) if local_address else None
            connector = aiohttp.TCPConnector(limit=0, local_addr=bind,
                                             ssl=self.tls if self.tls is not None else True)
            session = self._sessions[local_address] = aiohttp.ClientSession(connector=connector)
        return _AiohttpTransport(session)

    async def aclose(self) -> None:
        for session in self._sessions.values():
            await session.close()


class SocketClient:
    __slots__ = ("_acks", "_ids", "_reader", "_transport", "closed", "nsp", "on_event", "sid")

    def __init__(self, nsp: str, on_event: EventHandler) -> None:
        self.nsp = nsp
        self.on_event = on_event
        self.sid: str | None = None
        self.closed = False
        self._transport: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()

    async def connect(self, factory: TransportFactory, url: str, auth: dict[str, Any] | None,
                      local_address: str | None = None, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> None:
        """`local_address` picks the source address (any of 127.0.0.0/8 works on loopback).

        A server whose connect handler fails never answers CONNECT; that is a `ConnectTimeout`.
        """
        self._transport = factory.make(local_address)
        try:
            async with asyncio.timeout(timeout_s):
                await self._handshake(url, auth, factory.compression, local_address)
        except TimeoutError:
            await self.close()
            raise ConnectTimeout(f"no CONNECT answer within {timeout_s}s") from None

    async def _handshake(self, url: str, auth: dict[str, Any] | None, compression: bool,
                         local_address: str | None) -> None:
        await self._transport.open(url, compression, local_address)
        wire.parse_open(await self._expect_frame())
        await self._transport.send(wire.encode_connect(self.nsp, auth))
        while True:
            frame = await self._expect_frame()
            if isinstance(frame, str):
                await self._on_text(frame)
                continue
            packet = wire.decode(frame)
            if packet.type == wire.SIO_CONNECT:
                self.sid = (packet.data or {}).get("sid")
                break
            if packet.type == wire.SIO_CONNECT_ERROR:
                await self.close()
                raise ConnectRefused(packet.data)
            if packet.type == wire.SIO_EVENT:
                # python-socketio sends CONNECT after the connect handler returns, so whatever
                # the handler emitted (`joined`, `state`) arrives first.
                self._dispatch(packet.data, time.perf_counter())
                continue
            raise ConnectionLost(f"unexpected packet before CONNECT: {packet}")
        self._reader = asyncio.create_task(self._read_loop())

    async def emit(self, event: str, payload: Any = None) -> Any:
        """Send an event and return its ack's first argument."""
        if self.closed:
            raise ConnectionLost("connection closed")
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self._transport.send(wire.encode_event(self.nsp, event, payload, ack_id))
        return await future

    async def wait_closed(self) -> None:
        """Returns once the connection is gone (the server closed it, or it broke)."""
        if self._reader is not None:
            await asyncio.shield(self._reader)

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self._transport.close()
        except Exception:  # closing a dead socket is not an error worth reporting
            pass
        if self._reader is not None and self._reader is not asyncio.current_task():
            await asyncio.gather(self._reader, return_exceptions=True)
        self._fail_pending("connection closed")

    async def _expect_frame(self) -> str | bytes:
        frame = await self._transport.recv()
        if frame is None:
            raise ConnectionLost("closed during handshake")
        return frame

    async def _on_text(self, frame: str) -> None:
        if frame == wire.EIO_PING:
            await self._transport.send(wire.EIO_PONG)
        elif frame.startswith(wire.EIO_CLOSE):
            self.closed = True

    async def _read_loop(self) -> None:
        try:
            while True:
                frame = await self._transport.recv()
                if frame is None:
                    break
                if isinstance(frame, str):
                    await self._on_text(frame)
                    continue
                arrived = time.perf_counter()
                packet = wire.decode(frame)
                if packet.type == wire.SIO_EVENT:
                    self._dispatch(packet.data, arrived)
                elif packet.type == wire.SIO_ACK:
                    future = self._acks.pop(packet.id, None)
                    if future is not None and not future.done():
                        args = packet.data or [None]
                        future.set_result(args[0])
                elif packet.type == wire.SIO_DISCONNECT:
                    break
        finally:
            self.closed = True
            self._fail_pending("connection lost")

    def _dispatch(self, data: list[Any], arrived: float) -> None:
        self.on_event(data[0], data[1] if len(data) > 1 else None, arrived)

    def _fail_pending(self, reason: str) -> None:
        for future in self._acks.values():
            if not future.done():
                future.set_exception(ConnectionLost(reason))
        self._acks.clear()
