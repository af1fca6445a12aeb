"""What each room event (rooms/events.py) becomes on the wire: messages, each an audience, an
event name of the contract and a payload (built by rooms/views.py), sent in order.

This is the one place that decides who hears what: a new room event is a class in events.py
and an entry in `RoomDelivery.messages`; the transport (server/live/emits.py) only knows the
audiences. What the record keeps about an event (a question opened or closed, the game
finished) is the game's business (rooms/game.py), not delivery's.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

from rooms import events, views
from rooms.leaderboard import Leaderboards
from rooms.ports import Broadcaster, Payload
from rooms.room import Phase, Player, Room
from rooms.teams import TeamTally, question_points

KICKED_REASON = "removed by the teacher"


@dataclass(frozen=True)
class ToStaff:
    """The teacher's and the projector's connections of the room."""

    event: str
    payload: Payload


@dataclass(frozen=True)
class ToPlayers:
    """Every player of the room: one copy for all."""

    event: str
    payload: Payload


@dataclass(frozen=True)
class ToEveryone:
    """The staff, then every player: one copy for all."""

    event: str
    payload: Payload


@dataclass(frozen=True)
class ToEachPlayer:
    """Each player their own payload. `connections` is how many connections the room counts
    for each player (the transport keeps a copy local when all of them are)."""

    event: str
    payloads: Mapping[uuid.UUID, Payload]
    connections: Mapping[uuid.UUID, int]


@dataclass(frozen=True)
class SendOff:
    """A player's last message; their connections then leave the room."""

    player_id: uuid.UUID
    event: str
    payload: Payload


Message = ToStaff | ToPlayers | ToEveryone | ToEachPlayer | SendOff


class RoomDelivery:
    def __init__(self, room: Room, boards: Leaderboards, out: Broadcaster,
                 teams: TeamTally | None = None) -> None:
        self.room = room
        self._boards = boards
        self._out = out
        self._teams = teams if teams is not None else TeamTally(room)

    @property
    def room_id(self) -> uuid.UUID:
        return self.room.config.room_id

    async def deliver(self, event: events.RoomEvent) -> None:
        async for message in self.messages(event):
            await self.send(message)

    async def messages(self, event: events.RoomEvent) -> AsyncIterator[Message]:
        """The messages of `event`, in the order they must arrive. A generator, so a message
        goes out before the board is read for the next one."""
        room = self.room
        if isinstance(event, events.LobbyChanged):
            yield ToStaff("lobby", views.lobby_payload(room))
        elif isinstance(event, events.PlayerCountChanged):
            yield ToPlayers("lobby", {"count": room.seated})
        elif isinstance(event, events.QuestionOpened):
            if room.config.personal:  # each student their own fact; the staff none
                yield ToStaff("question", views.staff_question_payload(room, event.index))
                yield self._personal_questions(event.index)
            else:
                yield ToEveryone("question", views.question_payload_for(room, event.index))
                extended = [p for p in room.extended_players() if p.connections]
                if extended:  # their own, longer time (an accommodation)
                    yield ToEachPlayer("deadline", {
                        p.player_id: views.deadline_payload(room, event.index, p) for p in extended},
                        _connections(extended))
        elif isinstance(event, events.AnswerProgress):
            yield ToStaff("answer_progress", {"index": event.index, "answered": event.answered,
                                              "players": event.players})
        elif isinstance(event, events.LeaderboardMoved):
            # Students get their own copy, with `you`, when the question closes.
            if room.phase == Phase.QUESTION and room.index == event.index:
                leaders, _ = await self._boards.top_and_ranks(self.room_id, [])
                yield ToStaff("leaderboard", {"index": event.index, "top": views.board_top(room, leaders),
                                              "players": room.seated, "live": True})
        elif isinstance(event, events.QuestionClosed):
            closed = {"index": event.index, "correct_answer": None, "answered": event.answered,
                      "correct": event.correct, "average_response_time_ms": event.average_response_time_ms}
            if event.correct_answer is None:  # a personal round: each student their own answer
                staff = {**closed, "personal": True}
                yield ToStaff("question_closed", staff)
                yield self._personal_answers(event.index, staff)
            else:
                yield ToEveryone("question_closed",
                                 {**closed, "correct_answer": views.number(event.correct_answer)})
            roster, top, ranks = await self._board()
            common = {"index": event.index, "top": top, "players": len(roster)}
            teams = await self._team_board()
            if teams is not None:
                common["teams"] = teams
            yield ToStaff("leaderboard", common)
            yield ToEachPlayer("leaderboard", {
                p.player_id: {**common, "you": {**views.you_on_board(p, ranks.get(p.player_id)),
                                                **self._you_in_team(p, teams, event.index)}}
                for p in roster}, _connections(roster))
        elif isinstance(event, events.PlayerKicked):
            yield SendOff(event.player_id, "kicked", {"reason": KICKED_REASON})
        elif isinstance(event, events.TeamChanged):
            player = room.players.get(event.player_id)
            team = views.team_of(room, player) if player is not None and not player.kicked else None
            if player is not None and team is not None:
                yield ToEachPlayer("team", {player.player_id: team}, _connections([player]))
        elif isinstance(event, events.GameOver):
            roster, top, ranks = await self._board()
            # Only players who scored stand on the podium; `asked` lets a student who answered
            # nothing read "0 of 4 right", not "0 of 0".
            common = {"podium": [e for e in top[:3] if e["score"] > 0], "top": top,
                      "players": len(roster), "asked": len(room.records)}
            teams = await self._team_board()
            if teams is not None:
                common["teams"] = teams
            yield ToStaff("game_over", common)
            yield ToEachPlayer("game_over", {
                p.player_id: {**common, "you": {**views.you_at_game_over(p, ranks.get(p.player_id)),
                                                **self._you_in_team(p, teams, room.index)}}
                for p in roster}, _connections(roster))

    async def send(self, message: Message) -> None:
        out, room_id = self._out, self.room_id
        if isinstance(message, ToStaff):
            await out.to_staff(room_id, message.event, message.payload)
        elif isinstance(message, ToPlayers):
            await out.to_players(room_id, message.event, message.payload)
        elif isinstance(message, ToEveryone):
            await out.to_staff(room_id, message.event, message.payload)
            await out.to_players(room_id, message.event, message.payload)
        elif isinstance(message, ToEachPlayer):
            await out.to_each_player(message.event, message.payloads, message.connections)
        else:
            await out.send_off(room_id, message.player_id, message.event, message.payload)

    def _personal_questions(self, index: int) -> ToEachPlayer:
        roster = self.room.roster()
        mine = {}
        for p in roster:
            question = self.room.question_for(p.player_id, index)
            if question is not None:  # a player whose fact could not be dealt gets none
                mine[p.player_id] = views.personal_question_payload(self.room, index, question, p)
        return ToEachPlayer("question", mine, _connections(roster))

    def _personal_answers(self, index: int, staff: Payload) -> ToEachPlayer:
        roster = self.room.roster()
        mine = {}
        for p in roster:
            question = self.room.question_for(p.player_id, index)
            mine[p.player_id] = staff if question is None else {
                **staff, "correct_answer": views.number(question.fact.correct_answer)}
        return ToEachPlayer("question_closed", mine, _connections(roster))

    async def _team_board(self) -> list[Payload] | None:
        """The team board as the wire shows it (read from Redis), or None without teams."""
        if not self._teams.active:
            return None
        return views.team_board(self.room, await self._boards.team_board(self.room_id),
                                self._teams.standings())

    def _you_in_team(self, player: Player, teams: list[Payload] | None, index: int) -> Payload:
        """`{"team": ...}` for a student's own copy in team mode: their team's line, and what
        their answer to question `index` added to its points there."""
        if teams is None or player.team is None:
            return {}
        line = next((t for t in teams if t["team"] == player.team), None)
        if line is None:
            return {}
        counted = self._teams.row(index, player.team) if index >= 0 else None
        answer = self.room.records[index].answers.get(player.player_id) if counted else None
        contribution = None
        if counted is not None and player.first_question <= index:
            contribution = question_points(answer.points if answer else 0, counted.members)
        return {"team": views.you_in_team(line, contribution)}

    async def _board(self) -> tuple[list[Player], list[Payload], dict[uuid.UUID, int]]:
        """The roster, the top 10 as the wire shows it, and every player's rank: one read."""
        roster = self.room.roster()
        top, ranks = await self._boards.top_and_ranks(self.room_id,
                                                      [(p.player_id, p.join_order) for p in roster])
        return roster, views.board_top(self.room, top), ranks


def _connections(roster: list[Player]) -> dict[uuid.UUID, int]:
    return {p.player_id: p.connections for p in roster}
