"""A TCP proxy between the app and PostgreSQL that injects network faults on demand.

`pass_through()` forwards both ways. `black_hole()` keeps accepting connections and
forwarding what clients send, but never forwards a reply: the server works, its answers are
lost (a half-broken network, a stalled load balancer). `drop_commit_replies(n)` lets
everything through except, n times, the reply to a COMMIT that ends a transaction of the
answer writer (one that copied into answer_attempts): the server commits, the proxy drops
the CommandComplete 'C' message tagged COMMIT and then, as asked, closes the client's
connection (`cut`: the client sees the connection lost after sending COMMIT), stops
forwarding on that connection (`hang`: the client waits for a reply that never comes), or
black-holes every connection from then on (`black_hole`). Backend messages are parsed per the
PostgreSQL wire protocol (a type byte, a 4-byte length, the body; the one-byte answer to an
SSLRequest before them).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct

SSL_REQUEST = struct.pack("!ii", 8, 80877103)
WRITER_MARK = b"answer_attempts"


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: PgProxy, client_writer: asyncio.StreamWriter,
                 server_writer: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client_writer = client_writer
        self.server_writer = server_writer
        self.dropped_bytes = 0
        self.hung = False
        self.writer_transaction = False   # copied into answer_attempts since the last COMMIT
        self.raw_bytes_expected = 0       # the one-byte answer to an SSLRequest
        self.buffer = bytearray()

    def close(self) -> None:
        for writer in (self.client_writer, self.server_writer):
            with contextlib.suppress(Exception):
                writer.transport.abort()

    async def client_to_server(self, reader: asyncio.StreamReader) -> None:
        tail = b""
        first = True
        try:
            while data := await reader.read(65536):
                if first and data[:8] == SSL_REQUEST:
                    self.raw_bytes_expected = 1
                first = False
                if WRITER_MARK in tail + data:
                    self.writer_transaction = True
                tail = data[-len(WRITER_MARK):]
                self.server_writer.write(data)
                await self.server_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    async def server_to_client(self, reader: asyncio.StreamReader) -> None:
        try:
            while data := await reader.read(65536):
                if self.proxy.mode == "black_hole" or self.hung:
                    self.dropped_bytes += len(data)
                    continue
                out = self._filter(data)
                if out is None:   # a COMMIT reply dropped
                    self.dropped_bytes += len(data)
                    after = self.proxy.after_dropped_commit
                    if after == "cut":
                        self.close()
                        return
                    if after == "black_hole":
                        self.proxy.mode = "black_hole"
                    self.hung = True
                    continue
                if out:
                    self.client_writer.write(out)
                    await self.client_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    def _filter(self, data: bytes) -> bytes | None:
        """The bytes to forward; None to drop a COMMIT reply and cut the connection."""
        self.buffer += data
        out = bytearray()
        while self.buffer:
            if self.raw_bytes_expected:
                out += self.buffer[:1]
                del self.buffer[:1]
                self.raw_bytes_expected -= 1
                continue
            if len(self.buffer) < 5:
                break
            length = struct.unpack("!i", self.buffer[1:5])[0]
            if len(self.buffer) < 1 + length:
                break
            message = bytes(self.buffer[:1 + length])
            del self.buffer[:1 + length]
            if message[:1] == b"C" and message[5:].startswith(b"COMMIT\x00"):
                if self.writer_transaction and self.proxy.commit_drops_left > 0:
                    self.proxy.commit_drops_left -= 1
                    self.proxy.commit_replies_dropped += 1
                    return None
                self.writer_transaction = False
            elif message[:1] == b"C" and message[5:].startswith(b"ROLLBACK\x00"):
                # A read that mentioned answer_attempts ends in ROLLBACK (SQLAlchemy's
                # connect() without commit): the next transaction on this pooled connection
                # is not the writer's.
                self.writer_transaction = False
            out += message
        return bytes(out)


class PgProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.commit_drops_left = 0
        self.commit_replies_dropped = 0
        self.after_dropped_commit = "cut"
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> PgProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def pass_through(self) -> None:
        """Forward both ways again; connections that lost replies are cut (their streams are
        out of step, as after a real outage that outlasted the client's patience)."""
        self.mode = "pass"
        for link in list(self._links):
            if link.dropped_bytes:
                link.close()

    def black_hole(self) -> None:
        self.mode = "black_hole"

    def drop_commit_replies(self, times: int, then: str = "cut") -> None:
        """`then`: "cut", "hang" or "black_hole" (see the module's docstring)."""
        if then not in ("cut", "hang", "black_hole"):
            raise ValueError(then)
        self.commit_drops_left = times
        self.after_dropped_commit = then

    def cut_all(self) -> None:
        for link in list(self._links):
            link.close()

    @property
    def connections(self) -> int:
        return len(self._links)

    async def _accept(self, client_reader: asyncio.StreamReader,
                      client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        link = _Link(self, client_writer, server_writer)
        self._links.add(link)
        pumps = [asyncio.create_task(link.client_to_server(client_reader)),
                 asyncio.create_task(link.server_to_client(server_reader))]
        self._tasks.update(pumps)
        try:
            await asyncio.gather(*pumps, return_exceptions=True)
        finally:
            self._tasks.difference_update(pumps)
            self._links.discard(link)
            link.close()
