"""Personal rounds: on one tick, each player answers their own fact from the room's track
(due reviews first, then the weakest, then new facts; never the fact of their previous
round), against the round's one shared timer. docs/practice.md has how facts are chosen.

The game (rooms/game.py) asks this collaborator to deal a round when it opens and to deal to
a player who joins mid-round; rooms/delivery.py sends each student their own `question` and
`question_closed`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from learning.questions import Fact
from rooms.clock import Clock
from rooms.ports import RoomMoved, RoomStore, StoredRoom
from rooms.room import Player, Room, RoomQuestion

log = logging.getLogger(__name__)


class PersonalRounds:
    def __init__(self, row: StoredRoom, room: Room, *, store: RoomStore, clock: Clock,
                 epoch: int) -> None:
        self.row = row
        self.room = room
        self._store = store
        self._epoch = epoch
        self._clock = clock
        # (index, player_id) whose fact is being chosen, so a round's deal and a late joiner's
        # never choose twice for one player; and the operation the track's facts are limited
        # to (as for a shared track room), once known.
        self._dealing: set[tuple[int, uuid.UUID]] = set()
        self._operation: tuple[str | None] | None = None

    @property
    def room_id(self) -> uuid.UUID:
        return self.row.room_id

    async def deal_round(self, index: int) -> None:
        """Choose every player's own fact for question `index`, then start its shared timer."""
        await self.deal_to(index, self.room.roster())
        self.room.deal(index, {})

    async def deal_to(self, index: int, players: list[Player]) -> None:
        """Each player's own fact for question `index`: chosen in one statement, recorded in
        one statement, and only then given to the room (so a rebuilt room agrees). If that
        fails, those players get the round's fallback fact: the game goes on."""
        record = self.room.records[index]
        players = [p for p in players if p.player_id not in record.personal
                   and (index, p.player_id) not in self._dealing]
        if not players:
            return
        claims = {(index, p.player_id) for p in players}
        self._dealing |= claims
        try:
            chosen = await self._choose(index, players)
            await self._store.record_personal_questions(
                self.room_id, index, {pid: q.question_id for pid, q in chosen.items()},
                epoch=self._epoch)
        except RoomMoved:
            raise  # another worker runs the room now: nothing more to deal here
        except Exception:
            log.exception("room %s: personal facts of question %d not chosen; the round's own fact "
                          "stands in", self.room_id, index)
            return
        finally:
            self._dealing -= claims
        for player_id, question in chosen.items():
            self.room.deal_one(index, player_id, question)

    async def _choose(self, index: int, players: list[Player]) -> dict[uuid.UUID, RoomQuestion]:
        track_id = self.row.track_id
        assert track_id is not None  # the rooms table refuses personal rounds without a track
        if self._operation is None:
            pool = await self._store.track_facts(track_id, self.row.operation)
            same = any(fact.operation == self.row.operation for fact in pool)
            self._operation = (self.row.operation if same else None,)
        students = []
        for p in players:  # never the fact they had in the previous round
            previous = self.room.question_for(p.player_id, index - 1) if index > 0 else None
            students.append((p.user_id, previous.question_id if previous else None))
        today = dt.datetime.fromtimestamp(self._clock.epoch_ms() / 1000, dt.UTC).date()
        facts = await self._store.choose_personal_facts(track_id, students, today, self._operation[0])
        chosen = {}
        for p in players:
            f = facts.get(p.user_id)
            if f is not None:
                chosen[p.player_id] = RoomQuestion(
                    index, f.question_id, Fact(f.operand1, f.operand2, f.operation, f.correct_answer))
        return chosen
