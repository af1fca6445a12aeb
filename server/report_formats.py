"""A room report as the JSON body and as CSV tables (safe to open in a spreadsheet)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from persistence.room_catalog import RoomRecord
from persistence.room_reports import RoomReport
from rooms.teams import shared_ranks, standings
from server.timestamps import epoch_ms

CSV_PARTS = ("students", "questions", "attempts", "teams")

# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def number(value: Decimal | None) -> int | float | None:
    """The seed stores answers as DECIMAL(10,2); the wire sends numbers, 56 not "56.00"."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def team_results(report: RoomReport) -> list[dict[str, Any]]:
    """Each team's result (team mode), best first: equal points share a rank."""
    results = standings(report.team_names, report.team_rows)
    ranks = shared_ranks({t.team: t.score for t in results})
    players = [sum(1 for p in report.players if p.team == name and not p.kicked)
               for name in report.team_names]
    return [{"rank": ranks[t.team], "team": t.team, "name": t.name, "score": t.score,
             "players": players[t.team], "correct": t.correct, "answered": t.answered,
             "percent_correct": round(100 * t.correct / t.answered, 1) if t.answered else None,
             "streak": t.streak}
            for t in sorted(results, key=lambda t: (-t.score, t.team))]


def report_json(room: RoomRecord, report: RoomReport) -> dict[str, Any]:
    return {
        "room": {"room_id": str(room.id), "code": room.code, "title": room.title,
                 "operation": room.operation, "status": room.status,
                 "question_count": room.question_count, "time_limit_ms": room.time_limit_ms,
                 "personal": room.personal_rounds, "team_names": list(room.team_names),
                 "created_at": epoch_ms(room.created_at), "started_at": epoch_ms(room.started_at),
                 "finished_at": epoch_ms(room.finished_at)},
        "players": len(report.players),
        "students": [{
            "rank": p.rank, "player_id": str(p.player_id), "nickname": p.nickname,
            "score": p.score, "correct": p.correct, "answered": p.answered,
            "average_response_time_ms": p.average_response_time_ms,
            "total_response_time_ms": p.total_response_time_ms,
            "join_order": p.join_order, "kicked": p.kicked, "team": p.team} for p in report.players],
        "teams": team_results(report),
        "questions": [{
            "index": q.index, "question_id": str(q.question_id) if q.question_id else None,
            "prompt": q.prompt,
            "correct_answer": number(q.correct_answer), "answered": q.answered,
            "correct": q.correct, "percent_correct": q.percent_correct,
            "average_response_time_ms": q.average_response_time_ms} for q in report.questions],
        "attempts": [{
            "attempt_id": str(a.attempt_id), "player_id": str(a.player_id),
            "nickname": a.nickname, "index": a.question_index, "prompt": a.prompt,
            "answer": a.raw_input if a.raw_input is not None else str(number(a.answer)),
            "is_correct": a.is_correct, "correct_answer": number(a.correct_answer),
            "response_time_ms": a.response_time_ms, "points": a.points,
            "input_method": a.input_method, "answered_at": epoch_ms(a.answered_at)}
            for a in report.attempts],
    }


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        # OWASP's advice: a leading apostrophe makes spreadsheets show the text, not run it.
        return "'" + value
    return value


def _tables(body: dict[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    students = ["rank", "player_id", "nickname", "score", "correct", "answered",
                "average_response_time_ms", "total_response_time_ms", "kicked", "team"]
    questions = ["index", "prompt", "correct_answer", "answered", "correct", "percent_correct",
                 "average_response_time_ms"]
    attempts = ["index", "prompt", "player_id", "nickname", "answer", "is_correct",
                "correct_answer", "response_time_ms", "points", "input_method", "attempt_id"]
    teams = ["rank", "name", "score", "players", "correct", "answered", "percent_correct", "streak"]
    return {
        "students": (students, [[s[c] for c in students] for s in body["students"]]),
        "teams": (teams, [[t[c] for c in teams] for t in body["teams"]]),
        "questions": (questions, [[q[c] for c in questions] for q in body["questions"]]),
        "attempts": (attempts, [[a[c] for c in attempts] for a in body["attempts"]]),
    }


def report_csv(body: dict[str, Any], part: str | None) -> str:
    """One table (`part`), or every table as sections: a title line, the table, a blank line
    (the teams' only in team mode)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    tables = _tables(body)
    sections = [name for name in CSV_PARTS if name != "teams" or body["teams"]]
    for name in (part,) if part else sections:
        header, rows = tables[name]
        if not part:
            writer.writerow([name])
        writer.writerow(header)
        writer.writerows([_cell(value) for value in row] for row in rows)
        if not part and name != sections[-1]:
            writer.writerow([])
    # The byte-order mark makes Excel read the file as UTF-8 (names, "×", "÷").
    return "\ufeff" + out.getvalue()
