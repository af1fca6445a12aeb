"""Turn one run's Measurements into figures, and figures into the table people read."""

from __future__ import annotations

from typing import Any

from bench.common.stats import percentile, summary_ms
from bench.storm.scenario import Measurements, Scenario


def figures(scenario: Scenario, m: Measurements, *, server_kind: str, cpu_s: float,
            rss_before: int, rss_after: int, postgres_cpu_s: float | None, committed: int | None,
            generator_cpu_s: float, generator_rss_delta: int, wall_s: float,
            join_cpu_s: float | None = None) -> dict[str, Any]:
    connect_s = max(m.connect_finished - m.connect_started, 1e-9)
    skews = [max(times) - min(times) for times in m.question_arrivals.values() if times]
    expected_arrivals = m.connected * scenario.questions
    arrivals = sum(len(times) for times in m.question_arrivals.values())
    leaderboard_s = []
    for key, shown in m.screen_leaderboard.items():
        closed = [t for t in (m.last_ack.get(key), m.screen_closed.get(key)) if t is not None]
        if closed:
            leaderboard_s.append(shown - min(closed))
    windows = sum(m.last_ack_by_index[i] - m.first_send[i] for i in m.last_ack_by_index if i in m.first_send)
    per_thousand = 1000 / m.acked_unique if m.acked_unique else None
    students = max(m.connected, 1)
    return {
        "server": server_kind,
        "scenario": scenario.name,
        "rooms": scenario.rooms,
        "students_per_room": scenario.students,
        "questions": scenario.questions,
        "spread_ms": scenario.spread_ms,
        "connected": m.connected,
        "refused": dict(m.refused),
        "connect_failures": dict(m.connect_failures),
        "connect_rate_per_s": round(m.connected / connect_s, 1),
        "connect_s": round(connect_s, 2),
        "join_cpu_ms_per_student": (round(join_cpu_s * 1000 / students, 2)
                                    if join_cpu_s is not None else None),
        "answers_sent": m.answers_sent,
        "acked": m.acked_unique,
        "resends": m.resends,
        "retries_sent": m.retries_sent,
        "duplicates_acked": m.acked_duplicate,
        "retry_mismatches": m.retry_mismatches,
        "ack_errors": dict(m.ack_errors),
        "lost": m.lost,
        "ack_ms": summary_ms(m.ack_latency_s),
        "question_skew_ms": {"p50": _ms(percentile(skews, 0.5)), "max": _ms(max(skews) if skews else None)},
        "question_missing": expected_arrivals - arrivals,
        "leaderboard_ms": summary_ms(leaderboard_s),
        "throughput_answers_per_s": round(m.acked_unique / windows, 1) if windows > 0 else None,
        "server_cpu_s": round(cpu_s, 3),
        "server_cpu_s_per_1000_answers": round(cpu_s * per_thousand, 3) if per_thousand else None,
        "postgres_cpu_s_per_1000_answers": (round(postgres_cpu_s * per_thousand, 3)
                                            if per_thousand and postgres_cpu_s is not None else None),
        "server_rss_before_mb": round(rss_before / 2**20, 1),
        "server_rss_per_student_kb": round((rss_after - rss_before) / students / 1024, 1),
        "committed": committed,
        "acked_equals_committed": None if committed is None else committed == m.acked_unique,
        "generator_cpu_s": round(generator_cpu_s, 2),
        "generator_rss_per_student_kb": round(generator_rss_delta / students / 1024, 1),
        "game_errors": m.game_errors[:20],
        "wall_s": round(wall_s, 1),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


# (label, how to read it from a figures dict, True when lower is better)
ROWS: list[tuple[str, Any, bool]] = [
    ("students connected", lambda f: f["connected"], False),
    ("connect rate (students/s)", lambda f: f["connect_rate_per_s"], False),
    ("connect time (s)", lambda f: f.get("connect_s"), True),
    ("server CPU ms / join", lambda f: f.get("join_cpu_ms_per_student"), True),
    ("answers acked (unique)", lambda f: f["acked"], False),
    ("rows committed", lambda f: f["committed"], False),
    ("answers lost (no ack)", lambda f: f["lost"], True),
    ("error acks", lambda f: sum(f["ack_errors"].values()), True),
    ("retries / mismatched", lambda f: f"{f['retries_sent']} / {f['retry_mismatches']}", True),
    ("resends after a refusal", lambda f: f.get("resends"), True),
    ("ack p50 (ms)", lambda f: f["ack_ms"]["p50"], True),
    ("ack p95 (ms)", lambda f: f["ack_ms"]["p95"], True),
    ("ack p99 (ms)", lambda f: f["ack_ms"]["p99"], True),
    ("ack max (ms)", lambda f: f["ack_ms"]["max"], True),
    ("question skew p50 (ms)", lambda f: f["question_skew_ms"]["p50"], True),
    ("question skew max (ms)", lambda f: f["question_skew_ms"]["max"], True),
    ("leaderboard p50 (ms)", lambda f: f["leaderboard_ms"]["p50"], True),
    ("leaderboard max (ms)", lambda f: f["leaderboard_ms"]["max"], True),
    ("answer throughput (/s)", lambda f: f["throughput_answers_per_s"], False),
    ("server CPU s / 1,000 answers", lambda f: f["server_cpu_s_per_1000_answers"], True),
    ("PostgreSQL CPU s / 1,000 answers", lambda f: f["postgres_cpu_s_per_1000_answers"], True),
    ("primary CPU (s, whole cluster)", lambda f: f.get("primary_cpu_s"), True),
    ("standby CPU (s, whole cluster)", lambda f: f.get("standby_cpu_s"), True),
    ("reports read", lambda f: f.get("reports_read"), False),
    ("report p50 (ms)", lambda f: (f.get("report_ms") or {}).get("p50"), True),
    ("report p99 (ms)", lambda f: (f.get("report_ms") or {}).get("p99"), True),
    ("server RSS / student (KB)", lambda f: f["server_rss_per_student_kb"], True),
    ("generator CPU (s)", lambda f: f["generator_cpu_s"], True),
]


KINDS = ("baseline", "before", "real", "replica")


def _blocks(results: list[dict[str, Any]]) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """(title, {server kind: figures}) per scenario and round, the kinds in KINDS' order."""
    blocks = []
    for key in dict.fromkeys((r["scenario"], r.get("round", 1)) for r in results):
        runs = {r["server"]: r for r in results if (r["scenario"], r.get("round", 1)) == key}
        runs = {k: runs[k] for k in KINDS if k in runs}
        first = next(iter(runs.values()))
        title = (f"{key[0]}: {first['rooms']} room(s) × {first['students_per_room']} students, "
                 f"{first['questions']} questions, answers over {first['spread_ms']} ms"
                 + (f", round {key[1]}" if any(r.get("round", 1) > 1 for r in results) else "")
                 + " (1-minute load average after: " + ", ".join(
                     f"{k} {_cell(r.get('load_avg_1m_after'))}" for k, r in runs.items()) + ")")
        blocks.append((title, runs))
    return blocks


def _ratio(value: Any, base: Any) -> str:
    numbers = isinstance(base, int | float) and isinstance(value, int | float)
    return f"{value / base:.2f}" if numbers and base else ""


def _problems(kind: str, run: dict[str, Any]) -> list[str]:
    problems = list(run["game_errors"])
    for label, key in (("connect failures", "connect_failures"), ("refused", "refused"),
                       ("ack errors", "ack_errors")):
        if run[key]:
            problems.append(f"{label} {run[key]}")
    failed_reads = {s: n for s, n in (run.get("report_statuses") or {}).items() if s != "200"}
    if failed_reads:
        problems.append(f"report reads not 200: {failed_reads}")
    return [f"{kind}: {p}" for p in problems[:5]]


def table(results: list[dict[str, Any]]) -> str:
    """One block per scenario (and round): the figure, each server, and each server ÷ the
    baseline where the baseline ran."""
    lines: list[str] = []
    for title, runs in _blocks(results):
        kinds = list(runs)
        compared = [k for k in kinds if k != "baseline"] if "baseline" in runs else []
        lines.append(f"\n== {title} ==")
        lines.append(f"{'figure':34}" + "".join(f"{k:>14}" for k in kinds)
                     + "".join(f"{k + '/baseline':>18}" for k in compared))
        for label, read, _ in ROWS:
            values = {k: read(runs[k]) for k in kinds}
            lines.append(f"{label:34}" + "".join(f"{_cell(v):>14}" for v in values.values())
                         + "".join(f"{_ratio(values[k], values['baseline']):>18}" for k in compared))
        for kind, run in runs.items():
            lines += [f"  ! {p}" for p in _problems(kind, run)]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(results: list[dict[str, Any]]) -> str:
    """The same blocks as `table`, as Markdown tables (docs/performance.md is made from this)."""
    out: list[str] = []
    for title, runs in _blocks(results):
        kinds = list(runs)
        compared = [k for k in kinds if k != "baseline"] if "baseline" in runs else []
        out.append(f"\n**{title}**\n")
        out.append("| figure | " + " | ".join(kinds) + " |"
                   + "".join(f" {k} / baseline |" for k in compared))
        out.append("|---|" + "---:|" * (len(kinds) + len(compared)))
        for label, read, _ in ROWS:
            values = {k: read(runs[k]) for k in kinds}
            out.append(f"| {label} | " + " | ".join(_cell(v) for v in values.values()) + " |"
                       + "".join(f" {_ratio(values[k], values['baseline'])} |" for k in compared))
        problems = [p for kind, run in runs.items() for p in _problems(kind, run)]
        if problems:
            out.append("\n" + "; ".join(problems))
    return "\n".join(out)
