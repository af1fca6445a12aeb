"""Hostile input is routine: reserved or non-string event names, packets a client never
sends, undecodable frames, long-polling junk and oversized headers each get a quick, clear
answer or end that one connection; each is one log line, rate-limited, never a traceback.
Raw websockets speak Engine.IO v4 and msgpack Socket.IO packets to the real server."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import msgpack
import pytest

from server.live.namespace_base import ROOM_NOT_FOUND_FLOOR_S
from tests.support import factories
from tests.support.live_clients import LiveClient, Refused, connect_host

WAIT_S = 5.0


class RawSocket:
    """One Engine.IO websocket: binary frames are msgpack Socket.IO packets."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.packets: list[dict] = []

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, base: str) -> RawSocket:
        ws = await http.ws_connect(base.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket")
        opening = await ws.receive(timeout=WAIT_S)
        assert opening.type == aiohttp.WSMsgType.TEXT and opening.data.startswith("0")
        return cls(ws)

    async def send(self, packet: dict | bytes) -> None:
        await self.ws.send_bytes(packet if isinstance(packet, bytes) else msgpack.dumps(packet))

    async def next_packet(self, predicate=lambda p: True) -> dict:
        for p in self.packets:
            if predicate(p):
                self.packets.remove(p)
                return p
        async with asyncio.timeout(WAIT_S):
            while True:
                message = await self.ws.receive()
                if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
                    await self.ws.send_str("3")   # Engine.IO ping → pong
                    continue
                if message.type != aiohttp.WSMsgType.BINARY:
                    raise ConnectionError(f"not a packet: {message.type} {message.data!r}")
                packet = msgpack.loads(message.data)
                if predicate(packet):
                    return packet
                self.packets.append(packet)

    async def ack(self, nsp: str, data: list, ack_id: int) -> list:
        await self.send({"type": 2, "nsp": nsp, "data": data, "id": ack_id})
        return (await self.next_packet(lambda p: p["type"] == 3 and p.get("id") == ack_id))["data"]

    async def closed_by_server(self) -> bool:
        """True once the server closed the connection (an Engine.IO close, or the socket)."""
        async with asyncio.timeout(WAIT_S):
            while True:
                message = await self.ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                    aiohttp.WSMsgType.CLOSING):
                    return True
                if message.type == aiohttp.WSMsgType.TEXT and message.data == "1":
                    return True


@pytest.fixture
async def room(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=2, time_limit_ms=30_000)
    host = await connect_host(live_url, token, room["room_id"])
    async with aiohttp.ClientSession() as http:
        yield {**room, "host": host, "http": http}
    await host.disconnect()


async def join(room: dict, live_url: str, nickname: str) -> RawSocket:
    sock = await RawSocket.open(room["http"], live_url)
    await sock.send({"type": 0, "nsp": "/play", "data": {"code": room["code"], "nickname": nickname}})
    connected = await sock.next_packet(lambda p: p["type"] in (0, 4))
    assert connected["type"] == 0, connected
    return sock


async def test_reserved_event_names_are_refused(room, live_url):
    ada = await join(room, live_url, "Ada")
    await room["host"].wait_for("lobby", predicate=lambda d: d["count"] == 1)
    for n, name in enumerate(("disconnect", "connect", "connect_error", "__disconnect_final")):
        reply = await ada.ack("/play", [name, {"code": room["code"], "nickname": "Ghost"}], 10 + n)
        assert reply[0]["ok"] is False and reply[0]["error"]["code"] == "invalid_payload", (name, reply)
    state = await ada.ack("/play", ["state"], 20)
    assert state[0]["ok"] and state[0]["phase"] == "lobby"
    await asyncio.sleep(0.3)   # a "Ghost" or a lost connection would show in the lobby by now
    assert room["host"].last("lobby")["count"] == 1
    assert [p["nickname"] for p in room["host"].last("lobby")["players"]] == ["Ada"]


@pytest.mark.parametrize("name", [["answer"], {"a": 1}, 7, None, b"answer"])
async def test_an_event_name_that_is_not_a_string_is_invalid_payload(room, live_url, name, caplog):
    ada = await join(room, live_url, "Ada")
    reply = await ada.ack("/play", [name, {}], 1)
    assert reply[0]["error"]["code"] == "invalid_payload"
    assert (await ada.ack("/play", ["state"], 2))[0]["ok"]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize("frame", [
    {"type": 5, "nsp": "/play", "data": ["answer", {}], "id": 3},   # BINARY_EVENT
    {"type": 6, "nsp": "/play", "data": [], "id": 3},               # BINARY_ACK
    {"type": 4, "nsp": "/play", "data": "x"},                       # CONNECT_ERROR
    {"type": 9, "nsp": "/play"},
    {"type": 2, "data": ["state"]},                                 # no namespace
    {"type": 3, "nsp": "/play", "data": [], "id": ["x"]},           # an ack id that is a list
    b"\xc1\xc1junk",
])
async def test_malformed_packets_end_that_connection_only(room, live_url, frame, caplog):
    ada = await join(room, live_url, "Ada")
    bo = await join(room, live_url, "Bo")
    started = time.monotonic()
    await ada.send(frame)
    assert await ada.closed_by_server()
    assert time.monotonic() - started < 2
    assert (await bo.ack("/play", ["state"], 1))[0]["ok"]   # the others play on
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_flood_of_malformed_packets_logs_a_few_lines(room, live_url, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(40):
        sock = await RawSocket.open(room["http"], live_url)
        await sock.send(b"\xc1junk")
        await sock.closed_by_server()
    lines = [r for r in caplog.records if r.name.startswith(("server.live", "socketio", "engineio"))]
    assert 1 <= len(lines) <= 5, [r.getMessage() for r in lines]
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(("body", "content_type"), [
    (b"\x00\x01\x02junk", "application/octet-stream"), (b"2probe", "text/plain"),
    (b"6", "text/plain"), (b"", "text/plain"), (b"bnot base64!", "text/plain"),
    ("4é\x1e9x".encode(), "text/plain")])
async def test_long_polling_junk_gets_a_quick_400(room, live_url, body, content_type, caplog):
    http = room["http"]
    async with http.get(f"{live_url}/socket.io/?EIO=4&transport=polling") as response:
        sid = json.loads((await response.text())[1:])["sid"]
    started = time.monotonic()
    async with http.post(f"{live_url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=body,
                         headers={"Content-Type": content_type},
                         timeout=aiohttp.ClientTimeout(total=WAIT_S)) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_payload"
    assert time.monotonic() - started < 1
    assert not [r for r in caplog.records if r.exc_info]


async def test_an_oversized_header_is_one_line(room, live_url, caplog):
    async with room["http"].get(f"{live_url}/healthz", headers={"X-Big": "a" * 20_000}) as response:
        assert response.status == 400
    await asyncio.sleep(0.1)
    server_lines = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(server_lines) <= 1 and not [r for r in server_lines if r.exc_info]
    assert all("\n" not in r.getMessage() for r in server_lines)


async def test_screen_answers_a_wrong_key_and_a_wrong_code_alike(room, live_url):
    wrong_code = "000000" if room["code"] != "000000" else "000001"
    answers = []
    for auth in ({"code": room["code"], "screen_key": "wrong"},
                 {"code": wrong_code, "screen_key": room["screen_key"]}):
        started = time.monotonic()
        with pytest.raises(Refused) as refused:
            await LiveClient(live_url, "/screen").connect(auth)
        answers.append((refused.value.code, refused.value.message, time.monotonic() - started))
    assert answers[0][:2] == answers[1][:2] == ("room_not_found", "room not found")
    assert min(a[2] for a in answers) >= ROOM_NOT_FOUND_FLOOR_S
    assert abs(answers[0][2] - answers[1][2]) < 0.1
