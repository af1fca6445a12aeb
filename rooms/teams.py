"""Team mode's arithmetic, the same for the live game, a rebuilt board and the report.

At each question a team scores the mean of its counted players' points (round half up), so a
bigger team has no advantage: a player counts from the question open when they joined
(`first_question`), and a kicked player leaves their team's past questions as they leave the
room's board. A team is on a streak while at least half of its counted players answer each
question right. A team's total is the sum of its questions' points; teams with equal totals
share a rank.

The rows come from the record (`RoomStore.team_rows`) or from a room in memory
(`question_rows`): one `TeamQuestionRow` per team and closed question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rooms.ports import TeamQuestionRow
from rooms.room import Phase, Room

# Each a colour a class can name, shown with its own shape (web/static/js/teams.js).
TEAM_NAMES = ("Red", "Blue", "Green", "Yellow", "Purple", "Orange", "Teal", "Pink")
MIN_TEAMS, MAX_TEAMS = 2, len(TEAM_NAMES)


def default_names(count: int) -> tuple[str, ...]:
    if not MIN_TEAMS <= count <= MAX_TEAMS:
        raise ValueError(f"a game has {MIN_TEAMS} to {MAX_TEAMS} teams, not {count}")
    return TEAM_NAMES[:count]


def question_points(points: int, members: int) -> int:
    """A team's points at one question: the mean of its counted players' points."""
    if members <= 0:
        return 0
    return (2 * points + members) // (2 * members)  # round half up, in integers


def right_together(correct: int, members: int) -> bool:
    """Did at least half of the team answer right (what keeps a team streak going)?"""
    return members > 0 and 2 * correct >= members


@dataclass(frozen=True)
class TeamStanding:
    team: int
    name: str
    score: int  # the sum of its questions' points
    streak: int  # closed questions in a row, up to the last, answered right together
    points: int  # its points at the last closed question
    members: int  # players who counted at the last closed question
    correct: int  # right answers of its players over the game
    answered: int  # counted player-questions over the game (each a chance to answer)


def standings(names: Sequence[str], rows: Iterable[TeamQuestionRow]) -> list[TeamStanding]:
    """Every team's standing, in team order, from its rows for the closed questions."""
    by_team: dict[int, dict[int, TeamQuestionRow]] = {team: {} for team in range(len(names))}
    last = -1
    for row in rows:
        by_team.setdefault(row.team, {})[row.index] = row
        last = max(last, row.index)
    result = []
    for team, name in enumerate(names):
        mine = by_team.get(team, {})
        streak = 0
        for index in range(last, -1, -1):
            done = mine.get(index)
            if done is None or not right_together(done.correct, done.members):
                break
            streak += 1
        latest = mine.get(last)
        result.append(TeamStanding(
            team=team, name=name,
            score=sum(question_points(r.points, r.members) for r in mine.values()),
            streak=streak,
            points=question_points(latest.points, latest.members) if latest else 0,
            members=latest.members if latest else 0,
            correct=sum(r.correct for r in mine.values()),
            answered=sum(r.members for r in mine.values())))
    return result


def shared_ranks(scores: Mapping[int, int]) -> dict[int, int]:
    """Each team's rank: one more than the number of teams with more points."""
    return {team: 1 + sum(1 for other in scores.values() if other > score)
            for team, score in scores.items()}


def closed_indexes(room: Room) -> range:
    """The questions of `room` that have closed (the open one is still being answered)."""
    opened = len(room.records)
    return range(opened - 1 if room.phase == Phase.QUESTION else opened)


def question_rows(room: Room, index: int) -> list[TeamQuestionRow]:
    """What each team did at question `index` of a room in memory."""
    answers = room.records[index].answers
    counts: dict[int, list[int]] = {}
    for player in room.players.values():
        if player.kicked or player.team is None or player.first_question > index:
            continue
        row = counts.setdefault(player.team, [0, 0, 0])
        row[0] += 1
        answer = answers.get(player.player_id)
        if answer is not None:
            row[1] += answer.points
            row[2] += int(answer.is_correct)
    return [TeamQuestionRow(team, index, *c) for team, c in sorted(counts.items())]



class TeamTally:
    """What each team did at each closed question of a team-mode room, kept as the room
    closes its questions (from memory), or as the record says (a rebuilt room)."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self._rows: dict[int, list[TeamQuestionRow]] = {}

    @property
    def active(self) -> bool:
        return bool(self.room.config.teams)

    def restore(self, rows: Iterable[TeamQuestionRow]) -> None:
        self._rows = {}
        for row in rows:
            self._rows.setdefault(row.index, []).append(row)

    def close(self, index: int) -> None:
        self._rows[index] = question_rows(self.room, index)

    def close_missing(self) -> None:
        """Count from memory every closed question the rows do not cover."""
        for index in closed_indexes(self.room):
            if index not in self._rows:
                self.close(index)

    def recount(self) -> None:
        """Every closed question again (a kicked player leaves their team's past questions)."""
        self._rows = {index: question_rows(self.room, index) for index in closed_indexes(self.room)}

    def standings(self) -> list[TeamStanding]:
        return standings(self.room.config.teams, (r for rows in self._rows.values() for r in rows))

    def row(self, index: int, team: int) -> TeamQuestionRow | None:
        return next((r for r in self._rows.get(index, []) if r.team == team), None)
