"""Sending one message to this worker's connections without a task per recipient.

python-socketio's manager sends a message to N local connections by creating N tasks and
waiting for all of them. Each task only puts the encoded packet on that connection's
outgoing queue (an unbounded asyncio.Queue, so the put never waits): the task, its
scheduling and the wait cost more than the send. A class's leaderboard, sent to each of its
thirty students with their own rank, is thirty one-recipient emits, each with its own task
and wait.

`SequentialFanout` sends the same packets in the same order, one after the other in the
emitting coroutine. What the library's tasks did with a failure is kept: a connection that
closed meanwhile is skipped and never stops the others, and the emitting caller never sees
it. Emits that ask for an acknowledgement keep the library's path (each recipient needs its
own ack id).

One emit's sends are never interleaved with another's (the library's tasks all put their
packet in one turn of the loop, too), so the events of a room stay in order. But the
library's emit gave the event loop a turn at every emit, and this one gives none: a caller
that sends each of thousands of players their own copy (server/live/emits.py) gives the loop
a turn every RECIPIENTS_PER_TURN emits, so that acks and incoming answers are not held
behind it.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from engineio import packet as eio_packet
from engineio.exceptions import EngineIOError
from socketio import packet

log = logging.getLogger(__name__)

RECIPIENTS_PER_TURN = 100


class SequentialFanout(socketio.AsyncManager):  # type: ignore[misc]
    async def emit(self, event: str, data: Any, namespace: str, room: Any = None,
                   skip_sid: Any = None, callback: Any = None, to: Any = None,
                   **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                               callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        # The library's argument convention: a tuple is several arguments, None is none.
        if isinstance(data, tuple):
            arguments = list(data)
        elif data is not None:
            arguments = [data]
        else:
            arguments = []
        skipped = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(
            packet.EVENT, namespace=namespace, data=[event, *arguments]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, part)
                  for part in (encoded if isinstance(encoded, list) else [encoded])]
        engine = self.server.eio
        # get_participants iterates over a copy: a disconnect during a send changes nothing here.
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skipped:
                continue
            try:
                for frame in frames:
                    await engine.send_packet(eio_sid, frame)
            except EngineIOError:
                log.debug("connection %s closed before %r reached it", sid, event)

