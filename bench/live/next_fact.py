"""What the fact-family rule costs the next-fact choice of a whole class (a personal round).

    python -m bench.live.next_fact [--students 30 2000] [--rounds 15] [--jit-explain]

A personal round chooses every player's fact in one statement (choose_next_facts) before its
timer starts, so this time delays the round. The statement now also reads each student's
progress on the rows of the track's fact families, in any track (the division rows of a
multiplication fact). BASELINE is the statement as it was before families, run side by side
on the same database, alternating, so both see the same cache and load; once as it ran then
(PostgreSQL's JIT compiles it when the cost estimate of a large class passes jit_above_cost)
and once with JIT off, as the shipped statement runs.

Setup: a fresh database on the local PostgreSQL (BENCH_DATABASE_URL, else
postgresql://postgres@127.0.0.1:5432/postgres), migrated and seeded; every student has
progress on 40 random multiplication facts and 30 random division facts (a class in the
middle of the two tracks). Reported: the median and p95 of one statement for N students.
`--jit-explain` also prints what EXPLAIN ANALYZE says of the statement for the largest class
with PostgreSQL's JIT on and off (the time before its first row is the compile).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import time

from sqlalchemy import text

from bench.common.stats import percentile
from learning.catalog import track_id
from learning.fact_choice import WEAK_BELOW
from persistence.curriculum.seed import seed_curriculum
from persistence.curriculum.selection import choose_next_facts
from persistence.database import Database, create_database
from persistence.migrations import migrate_async
from persistence.urls import with_database

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TODAY = dt.date(2026, 3, 10)
MULT = track_id("multiplication-12")

# The choice statement before fact families (persistence/curriculum/selection.py at the
# commit that added them), for the side-by-side baseline.
BASELINE = """
WITH candidates AS MATERIALIZED (
    SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, q.explanation,
           q.display_format, tf.position AS sequence_number
    FROM track_facts tf JOIN questions q ON q.id = tf.question_id
    WHERE tf.track_id = :track_id AND q.operand3 IS NULL
)
SELECT pl.user_id, c.*
FROM unnest(CAST(:user_ids AS uuid[]), CAST(:excludes AS uuid[])) AS pl(user_id, exclude)
CROSS JOIN LATERAL (
    WITH finished AS (
        SELECT DISTINCT unnest(s.question_ids) AS question_id
        FROM track_sections s
        JOIN user_section_progress usp
            ON usp.section_id = s.id AND usp.user_id = pl.user_id AND usp.is_completed
        WHERE s.track_id = :track_id
    )
    SELECT q.id, q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, q.explanation,
           q.display_format, q.sequence_number,
           CASE WHEN qp.next_review_date <= :today THEN 1
                WHEN COALESCE(qp.total_attempts, 0) > 0 AND qp.mastery < :weak_below THEN 2
                WHEN COALESCE(qp.total_attempts, 0) = 0 AND f.question_id IS NULL THEN 3
                WHEN qp.mastery < 1 AND f.question_id IS NULL THEN 4
                WHEN COALESCE(qp.total_attempts, 0) = 0 THEN 5
                ELSE 6 END AS tier
    FROM candidates q
    LEFT JOIN question_progress qp ON qp.question_id = q.id AND qp.user_id = pl.user_id
    LEFT JOIN finished f ON f.question_id = q.id
    WHERE (pl.exclude IS NULL OR q.id <> pl.exclude)
    ORDER BY tier,
             CASE WHEN qp.next_review_date <= :today THEN qp.next_review_date END,
             CASE WHEN COALESCE(qp.total_attempts, 0) > 0 THEN qp.mastery END,
             CASE WHEN COALESCE(qp.total_attempts, 0) > 0
                  THEN qp.correct_attempts::float / qp.total_attempts END,
             qp.last_attempt_date NULLS FIRST,
             q.sequence_number
    LIMIT 1
) c
"""


async def _class(db: Database, students: int) -> list:
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO users (username) SELECT 'bench-' || g FROM generate_series(1, :n) g"),
            {"n": students})
        for track, count in ((MULT, 40), (track_id("division-12"), 30)):
            await conn.execute(text(
                "INSERT INTO question_progress (question_id, user_id, total_attempts, "
                "correct_attempts, average_response_time, total_response_time, last_attempt_date, "
                "next_review_date, current_streak) "
                "SELECT f.question_id, u.id, 3, 2 + (random() < 0.7)::int, 2500, 7500, "
                "TIMESTAMP '2026-03-01' + random() * INTERVAL '8 days', "
                "DATE '2026-03-08' + (random() * 6)::int, (random() < 0.7)::int "
                "FROM users u CROSS JOIN LATERAL (SELECT question_id FROM track_facts "
                "WHERE track_id = :t AND u.id IS NOT NULL ORDER BY random() LIMIT :k) f"),
                {"t": track, "k": count})
        await conn.execute(text("ANALYZE"))
        return list((await conn.execute(text("SELECT id FROM users"))).scalars())


async def _baseline(db: Database, students: list, *, jit: bool = True) -> int:
    async with db.engine.connect() as conn:
        if not jit:
            await conn.execute(text("SET LOCAL jit = off"))
        rows = await conn.execute(text(BASELINE), {
            "user_ids": students, "excludes": [None] * len(students), "track_id": MULT,
            "today": TODAY, "weak_below": WEAK_BELOW})
        return len(rows.all())


async def _families(db: Database, students: list) -> int:
    chosen = await choose_next_facts(db, MULT, [(s, None) for s in students], TODAY, live_only=True,
                                     operation="×")
    return len(chosen)


async def _explain(db: Database, students: list) -> None:
    from persistence.curriculum.selection import _CHOICES, _LIVE_ONLY

    sql = "EXPLAIN (ANALYZE, COSTS OFF) " + _CHOICES.format(only="", only_facts=_LIVE_ONLY)
    for jit in ("on", "off"):
        async with db.engine.connect() as conn:
            await conn.execute(text(f"SET LOCAL jit = {jit}"))
            plan = (await conn.execute(text(sql), {
                "user_ids": students, "excludes": [None] * len(students), "track_id": MULT,
                "today": TODAY, "weak_below": WEAK_BELOW, "operation": "×"})).scalars().all()
        print(f"jit {jit}: {plan[0].strip()}; {plan[-1].strip()}")


async def run(sizes: list[int], rounds: int, jit_explain: bool = False) -> None:
    name = f"mathrally_bench_choice_{os.getpid()}"
    admin = create_database(SERVER)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = with_database(SERVER, name)
    try:
        await migrate_async(url)
        db = create_database(url, pool_size=2)
        await seed_curriculum(db)
        users = await _class(db, max(sizes))
        labels = ("before (JIT as the server decides)", "before, JIT off", "families (as shipped)")
        print("students | " + " | ".join(f"{label}: median / p95 ms" for label in labels)
              + " | shipped ÷ before, JIT off")

        async def no_jit(db: Database, group: list) -> int:
            return await _baseline(db, group, jit=False)

        for size in sizes:
            group = users[:size]
            times: dict[str, list[float]] = {label: [] for label in labels}
            for _ in range(rounds):
                for label, choose in zip(labels, (_baseline, no_jit, _families), strict=True):
                    started = time.perf_counter()
                    assert await choose(db, group) == size
                    times[label].append((time.perf_counter() - started) * 1000)
            cells = [f"{statistics.median(t):.1f} / {percentile(t, 0.95):.1f}" for t in times.values()]
            ratio = statistics.median(times[labels[2]]) / statistics.median(times[labels[1]])
            print(f"{size:>8} | " + " | ".join(cells) + f" | {ratio:.2f}")
        if jit_explain:
            await _explain(db, users[:max(sizes)])
        await db.dispose()
    finally:
        async with admin.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[30, 2000])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--jit-explain", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.students, args.rounds, args.jit_explain))


if __name__ == "__main__":
    main()
