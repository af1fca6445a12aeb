"""Guests joining at once, stored by one statement.

A class that joins together sends a burst of guest joins, each a user, a live session and
a player behind the room's owner-epoch fence. One statement per guest cost each join a
pooled connection taken and given back and a round trip of its own, and opened more
connections than the pool keeps (most of the join handler's time in the profile of a
hundred classes filling, docs/performance.md). `GuestBatcher` sends whatever guests
arrive while one statement is out as the next single statement, the way the answer writer
groups commits: a guest alone pays one turn of the event loop; under load the statements
grow instead of multiplying.

Each guest gets its own outcome. The fence is per guest (per room): guests of a room
another worker now owns are left out and told so, the rest are stored. A statement that one
guest's row can fail (a constraint, a value, a deadlock with a claim) is sent again for each
of its guests alone, so one bad guest fails only itself; any other error (a timeout, a lost
connection) fails every guest of that statement, as it would have failed each of their own,
and is not repeated guest by guest. The price of sharing: a statement waits for the lock of
each of its rooms, so a room whose row a claim or a game's start holds for a moment holds
the other rooms' guests of that statement as long.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import asyncpg

from persistence.database import Database, asyncpg_connection
from persistence.ids import time_ordered_uuids
from persistence.pg_arrays import column_parameters

# The most guests in one statement: a school's assembly joining at once is split into
# statements that each still finish in a few milliseconds.
MAX_GUESTS = 500
# The errors one guest's row can cause: a statement failing with one of them is sent again
# for each guest alone.
_ONE_ROWS_ERRORS = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError,
                    asyncpg.DeadlockDetectedError)

# The rooms' fence (owner_epoch locked FOR SHARE, in id order, and compared), then each
# fenced-in guest's user, live session and player. With a stale epoch a guest's row is not
# in `owned`: none of its inserts runs and its position (1-based) is not returned. The ids
# come back as the driver's own UUIDs, as every other id the room reads from PostgreSQL.
_INSERT_GUESTS = """
WITH guest AS (
    SELECT * FROM unnest($1::uuid[], $2::text::bigint[], $3::uuid[], $4::uuid[], $5::uuid[],
                         $6::text[], $7::text[], $8::text::int[], $9::text[], $10::text::int[],
                         $11::text::int[], $12::text::int[]) WITH ORDINALITY
        AS g(room_id, epoch, user_id, session_id, player_id, username, config, total_questions,
             nickname, join_order, team_index, first_question, position)
), fence AS (
    SELECT id, owner_epoch FROM rooms WHERE id = ANY($1::uuid[]) ORDER BY id FOR SHARE
), owned AS (
    SELECT guest.* FROM guest JOIN fence ON fence.id = guest.room_id AND fence.owner_epoch = guest.epoch
), new_user AS (
    INSERT INTO users (id, username, role) SELECT user_id, username, 'guest' FROM owned
), new_session AS (
    INSERT INTO practice_sessions (id, user_id, mode, config, total_questions)
    SELECT session_id, user_id, 'live', config::jsonb, total_questions FROM owned
), new_player AS (
    INSERT INTO room_players (id, room_id, user_id, session_id, nickname, join_order,
                              team_index, first_question)
    SELECT player_id, room_id, user_id, session_id, nickname, join_order, team_index,
           first_question FROM owned
)
SELECT position, player_id, user_id, session_id FROM owned
"""


@dataclasses.dataclass(frozen=True, slots=True)
class NewGuest:
    room_id: uuid.UUID
    epoch: int
    username: str
    config_json: str
    total_questions: int
    nickname: str
    join_order: int
    team: int | None
    first_question: int


@dataclasses.dataclass(frozen=True, slots=True)
class StoredGuest:
    player_id: uuid.UUID
    user_id: uuid.UUID
    session_id: uuid.UUID


_Waiting = tuple[NewGuest, asyncio.Future[StoredGuest | None]]


class GuestBatcher:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._next: list[_Waiting] = []   # what arrives while a statement is out
        self._sending: asyncio.Task[None] | None = None

    async def insert(self, guest: NewGuest) -> StoredGuest | None:
        """The guest's stored ids, or None when its room's epoch is no longer `guest.epoch`
        (another worker owns the room: nothing of the guest was stored)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[StoredGuest | None] = loop.create_future()
        self._next.append((guest, future))
        if self._sending is None:
            self._sending = loop.create_task(self._send_all())
        # A cancelled join cancels its future, which the sender then leaves alone; its guest
        # is still stored, as its own statement would have been once sent.
        return await future

    async def _send_all(self) -> None:
        try:
            while self._next:
                waiting, self._next = self._next[:MAX_GUESTS], self._next[MAX_GUESTS:]
                await self._send(waiting)
        finally:
            self._sending = None

    async def _send(self, waiting: list[_Waiting]) -> None:
        try:
            async with self._db.engine.connect() as connection:
                driver = await asyncpg_connection(connection)
                try:
                    _settle(waiting, await _insert(driver, [guest for guest, _ in waiting]))
                except _ONE_ROWS_ERRORS:
                    if len(waiting) == 1:
                        raise
                    # One guest's row may be what failed: each alone, so it fails only itself.
                    for one in waiting:
                        try:
                            _settle([one], await _insert(driver, [one[0]]))
                        except _ONE_ROWS_ERRORS as exc:
                            _fail([one], exc)
        except Exception as exc:
            _fail(waiting, exc)
        except BaseException:
            for _, future in waiting:
                future.cancel()
            raise


async def _insert(driver: asyncpg.Connection, guests: list[NewGuest]) -> list[StoredGuest | None]:
    """One statement (one transaction) for `guests`; per guest, its ids or None (fenced out)."""
    ids = time_ordered_uuids(3 * len(guests))
    rows = [(g.room_id, g.epoch, ids[3 * i], ids[3 * i + 1], ids[3 * i + 2], g.username,
             g.config_json, g.total_questions, g.nickname, g.join_order, g.team, g.first_question)
            for i, g in enumerate(guests)]
    stored: list[StoredGuest | None] = [None] * len(guests)
    for row in await driver.fetch(_INSERT_GUESTS, *column_parameters(rows, "uvuuuttvtvvv")):
        stored[row[0] - 1] = StoredGuest(row[1], row[2], row[3])
    return stored


def _settle(waiting: list[_Waiting], outcomes: list[StoredGuest | None]) -> None:
    for (_, future), outcome in zip(waiting, outcomes, strict=True):
        if not future.done():
            future.set_result(outcome)


def _fail(waiting: list[_Waiting], exc: Exception) -> None:
    for _, future in waiting:
        if not future.done():
            future.set_exception(exc)
