"""A message to many local connections is sent in the emitting coroutine, in order, without
a task per recipient; a connection closed meanwhile is skipped; emits that ask for an ack
keep the library's path. Real python-socketio server and clients over websockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp import web
from socketio.async_pubsub_manager import AsyncPubSubManager

from server.live.fanout import SequentialFanout
from server.live.redis_manager import ResubscribingRedisManager
from tests.support.live_clients import LiveClient

NAMESPACE = "/t"


class ClassNamespace(socketio.AsyncNamespace):
    def __init__(self) -> None:
        super().__init__(NAMESPACE)
        self.sids: list[str] = []

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        await self.enter_room(sid, "class")
        self.sids.append(sid)


@pytest.fixture
async def served(aiohttp_server) -> AsyncIterator[tuple[socketio.AsyncServer, ClassNamespace, str]]:
    sio = socketio.AsyncServer(async_mode="aiohttp", serializer="msgpack",
                               client_manager=SequentialFanout())
    namespace = ClassNamespace()
    sio.register_namespace(namespace)
    app = web.Application()
    sio.attach(app)
    server = await aiohttp_server(app)
    yield sio, namespace, str(server.make_url("/"))
    await sio.shutdown()


async def _class(url: str, size: int) -> list[LiveClient]:
    return [await LiveClient(url, NAMESPACE).connect({}) for _ in range(size)]


def _count_tasks(loop: asyncio.AbstractEventLoop) -> list[int]:
    created = [0]
    default = loop.get_task_factory()

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
        created[0] += 1
        if default is not None:
            return default(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    return created


async def test_a_broadcast_reaches_every_connection_in_order_without_a_task_each(served):
    sio, _, url = served
    clients = await _class(url, 6)
    loop = asyncio.get_running_loop()
    default = loop.get_task_factory()
    created = _count_tasks(loop)
    try:
        for index in range(3):
            await sio.emit("question", {"index": index}, to="class", namespace=NAMESPACE)
        tasks_for_the_sends = created[0]
    finally:
        loop.set_task_factory(default)
    assert tasks_for_the_sends == 0
    for client in clients:
        await client.wait_for("question", 3)
        assert client.received["question"] == [{"index": 0}, {"index": 1}, {"index": 2}]
    for client in clients:
        await client.disconnect()


async def test_a_connection_closed_meanwhile_is_skipped_and_the_others_still_receive(served):
    sio, namespace, url = served
    clients = await _class(url, 4)
    # Closed at the transport, not yet out of the room: what a send meets when a phone
    # drops off between the room's member list and its own send.
    gone = sio.eio._get_socket(sio.manager.eio_sid_from_sid(namespace.sids[1], NAMESPACE))
    gone.closed = True
    await sio.emit("leaderboard", {"top": []}, to="class", namespace=NAMESPACE)
    gone.closed = False  # so that its client can leave cleanly
    others = [c for i, c in enumerate(clients) if i != 1]
    for client in others:
        assert await client.wait_for("leaderboard") == {"top": []}
    await asyncio.sleep(0.2)
    assert clients[1].received["leaderboard"] == []
    for client in clients:
        await client.disconnect()


async def test_an_emit_that_asks_for_an_ack_gets_the_clients_answer(served):
    sio, namespace, url = served
    client = LiveClient(url, NAMESPACE)
    client.sio.on("ping_me", lambda data: {"pong": data["n"]}, namespace=NAMESPACE)
    await client.connect({})
    reply = await sio.call("ping_me", {"n": 7}, to=namespace.sids[0], namespace=NAMESPACE, timeout=5)
    assert reply == {"pong": 7}
    await client.disconnect()


def test_the_redis_managers_local_sends_go_through_the_sequential_fanout():
    # Between the pub/sub manager and the base manager: both an `ignore_queue` emit and a
    # message received from the queue end in SequentialFanout.emit.
    order = ResubscribingRedisManager.__mro__
    assert order.index(SequentialFanout) == order.index(AsyncPubSubManager) + 1
