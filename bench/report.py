"""Turn one run's Measurements into figures, and figures into the table people read."""

from __future__ import annotations

from typing import Any

from bench.scenario import Measurements, Scenario
from bench.stats import percentile, summary_ms


def figures(scenario: Scenario, m: Measurements, *, server_kind: str, setup: str, cpu_s: float,
            rss_before: int, rss_after: int, postgres_cpu_s: float | None, committed: int | None,
            generator_cpu_s: float, generator_rss_delta: int, wall_s: float) -> dict[str, Any]:
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
        "room_setup": setup,
        "rooms": scenario.rooms,
        "students_per_room": scenario.students,
        "questions": scenario.questions,
        "spread_ms": scenario.spread_ms,
        "connected": m.connected,
        "refused": dict(m.refused),
        "connect_failures": dict(m.connect_failures),
        "connect_rate_per_s": round(m.connected / connect_s, 1),
        "answers_sent": m.answers_sent,
        "acked": m.acked_unique,
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
    ("answers acked (unique)", lambda f: f["acked"], False),
    ("rows committed", lambda f: f["committed"], False),
    ("answers lost (no ack)", lambda f: f["lost"], True),
    ("error acks", lambda f: sum(f["ack_errors"].values()), True),
    ("retries / mismatched", lambda f: f"{f['retries_sent']} / {f['retry_mismatches']}", True),
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
    ("server RSS / student (KB)", lambda f: f["server_rss_per_student_kb"], True),
    ("generator CPU (s)", lambda f: f["generator_cpu_s"], True),
]


def table(results: list[dict[str, Any]]) -> str:
    """One block per scenario: the figure, each server, and real ÷ baseline where both ran."""
    lines: list[str] = []
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        runs = {r["server"]: r for r in results if r["scenario"] == scenario}
        kinds = [k for k in ("baseline", "real") if k in runs]
        first = runs[kinds[0]]
        lines.append(f"\n== {scenario}: {first['rooms']} room(s) × {first['students_per_room']} students, "
                     f"{first['questions']} questions, answers over {first['spread_ms']} ms ==")
        header = f"{'figure':34}" + "".join(f"{k:>14}" for k in kinds)
        if len(kinds) == 2:
            header += f"{'real/baseline':>15}"
        lines.append(header)
        for label, read, _ in ROWS:
            values = [read(runs[k]) for k in kinds]
            row = f"{label:34}" + "".join(f"{_cell(v):>14}" for v in values)
            if len(kinds) == 2:
                base, real = values
                numbers = isinstance(base, int | float) and isinstance(real, int | float)
                ratio = f"{real / base:.2f}" if numbers and base else ""
                row += f"{ratio:>15}"
            lines.append(row)
        for kind in kinds:
            run = runs[kind]
            problems = list(run["game_errors"])
            if run["connect_failures"]:
                problems.append(f"connect failures {run['connect_failures']}")
            if run["refused"]:
                problems.append(f"refused {run['refused']}")
            if run["ack_errors"]:
                problems.append(f"ack errors {run['ack_errors']}")
            for problem in problems[:5]:
                lines.append(f"  ! {kind}: {problem}")
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
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        runs = {r["server"]: r for r in results if r["scenario"] == scenario}
        kinds = [k for k in ("baseline", "real") if k in runs]
        first = runs[kinds[0]]
        out.append(f"\n**{scenario}**: {first['rooms']} room(s) × {first['students_per_room']} students, "
                   f"{first['questions']} questions, answers over {first['spread_ms']} ms "
                   f"(1-minute load average after: " + ", ".join(
                       f"{k} {_cell(runs[k].get('load_avg_1m_after'))}" for k in kinds) + ")\n")
        out.append("| figure | " + " | ".join(kinds) + (" | real / baseline |" if len(kinds) == 2 else ""))
        out.append("|---|" + "---:|" * len(kinds) + ("---:|" if len(kinds) == 2 else ""))
        for label, read, _ in ROWS:
            values = [read(runs[k]) for k in kinds]
            row = f"| {label} | " + " | ".join(_cell(v) for v in values) + " |"
            if len(kinds) == 2:
                base, real = values
                numbers = isinstance(base, int | float) and isinstance(real, int | float)
                row += f" {real / base:.2f} |" if numbers and base else " |"
            out.append(row)
        for kind in kinds:
            run = runs[kind]
            notes = [f"{k} {v}" for k, v in (("refused", run["refused"]),
                                               ("connect failures", run["connect_failures"]),
                                               ("ack errors", run["ack_errors"])) if v]
            if notes:
                out.append(f"\n{kind}: " + "; ".join(notes))
    return "\n".join(out)
