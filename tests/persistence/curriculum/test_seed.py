"""`mathrally seed`: the standard tracks, every fact right, and a second run changes nothing."""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import text

from learning.catalog import TRACKS, track_id
from persistence.curriculum.seed import seed_curriculum
from server.cli import main
from sql import read_sql

EXPECTED_FACTS = {"addition-10": 66, "addition-20": 55, "subtraction-10": 66, "subtraction-20": 55,
                  "multiplication-12": 169, "division-12": 156, "mixed-review": 72}
# One fact is one row: mixed review holds the other tracks' rows, so it adds none of its own.
DISTINCT_FACTS = sum(EXPECTED_FACTS.values()) - EXPECTED_FACTS["mixed-review"]


def _answer(op: str, a: int, b: int) -> Decimal:
    if op == "÷":
        assert b != 0 and a % b == 0, f"{a} ÷ {b} is not a whole-number quotient"
        return Decimal(a // b)
    return Decimal({"+": a + b, "-": a - b, "×": a * b}[op])


async def _snapshot(db):
    """Every seeded row with its xmin: a row rewritten by a second run gets a new xmin."""
    async with db.engine.connect() as conn:
        rows = {}
        for table in ("learning_tracks", "track_sections", "questions"):
            result = await conn.execute(text(f"SELECT id, xmin::text FROM {table}"))
            rows[table] = dict(result.all())
    return rows


async def test_seed_twice_changes_nothing(clean_db):
    first = await seed_curriculum(clean_db)
    assert first.inserted == {"learning_tracks": 7, "questions": DISTINCT_FACTS,
                              "track_sections": sum(len(t.sections) for t in TRACKS)}
    before = await _snapshot(clean_db)
    second = await seed_curriculum(clean_db)
    assert second.changed == 0
    assert await _snapshot(clean_db) == before


@pytest.fixture
def root_logging():
    """`main` installs the server's log handler on the root logger; put pytest's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_seed_command_runs_through_the_cli(clean_db, database_url, monkeypatch, root_logging):
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["seed"]) == 0
    before = await _snapshot(clean_db)
    assert await asyncio.to_thread(main, ["seed"]) == 0
    assert await _snapshot(clean_db) == before
    assert len(before["questions"]) == DISTINCT_FACTS


async def test_every_fact_is_right_and_teaches_a_strategy(clean_db):
    await seed_curriculum(clean_db)
    async with clean_db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT q.operand1, q.operand2, q.operation, q.correct_answer, q.hint, q.explanation, "
            "q.tags, q.difficulty, q.category, q.sequence_number, q.display_format, t.id AS track "
            "FROM questions q JOIN learning_tracks t ON t.id = q.track_id"))).mappings().all()
    assert len(rows) == DISTINCT_FACTS
    assert len({(r["operand1"], r["operand2"], r["operation"]) for r in rows}) == DISTINCT_FACTS
    for r in rows:
        assert r["correct_answer"] == _answer(r["operation"], r["operand1"], r["operand2"]), r
        assert r["hint"] and r["explanation"] and r["display_format"] == "horizontal"
        # The explanation walks to the answer; the hint never gives it away outright.
        assert str(int(r["correct_answer"])) in r["explanation"], r
        assert r["difficulty"] in ("easy", "medium", "hard")
        assert any(t.startswith("family:") for t in r["tags"])
        assert any(t.startswith("fact-family:") for t in r["tags"])
        if r["operation"] in ("+", "×"):
            lo, hi = sorted((r["operand1"], r["operand2"]))
            assert f"commutative:{lo}{r['operation']}{hi}" in r["tags"]
    per_track = {}
    for r in rows:
        per_track.setdefault(r["track"], []).append(r["sequence_number"])
    for spec in TRACKS:
        if len(spec.operations) > 1:
            assert spec.id not in per_track  # its facts are the one-operation tracks' rows
            continue
        numbers = sorted(per_track[spec.id])
        assert numbers == list(range(1, EXPECTED_FACTS[spec.slug] + 1)), spec.slug


async def test_mixed_review_holds_the_rows_of_the_one_operation_tracks(clean_db):
    await seed_curriculum(clean_db)
    async with clean_db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT tf.position, q.operand1, q.operand2, q.operation, t.name "
            "FROM track_facts tf JOIN questions q ON q.id = tf.question_id "
            "JOIN learning_tracks t ON t.id = q.track_id WHERE tf.track_id = :t "
            "ORDER BY tf.position"), {"t": track_id("mixed-review")})).all()
    assert [r[0] for r in rows] == list(range(1, 73))
    assert {r[4] for r in rows} == {"Addition within 20", "Subtraction within 20",
                                    "Multiplication to 12 × 12", "Division to 12 × 12"}
    assert (7, 8, "×", "Multiplication to 12 × 12") in {r[1:] for r in rows}


async def test_the_7_times_8_explanation_doubles_7_times_4(clean_db):
    await seed_curriculum(clean_db)
    async with clean_db.engine.connect() as conn:
        explanation = await conn.scalar(text(
            "SELECT explanation FROM questions WHERE track_id = :t AND operand1 = 7 "
            "AND operand2 = 8 AND operation = '×'"), {"t": track_id("multiplication-12")})
        make_ten = await conn.scalar(text(
            "SELECT explanation FROM questions WHERE track_id = :t AND operand1 = 8 "
            "AND operand2 = 5 AND operation = '+'"), {"t": track_id("addition-20")})
    assert explanation.startswith("7 × 4 = 28, doubled is 56")
    assert make_ten.startswith("Make ten: 8 + 2 = 10")


async def test_tracks_and_sections_cover_their_facts_in_order(clean_db):
    await seed_curriculum(clean_db)
    async with clean_db.engine.connect() as conn:
        tracks = (await conn.execute(text("SELECT * FROM learning_tracks"))).mappings().all()
        sections = (await conn.execute(text(
            "SELECT s.*, (SELECT array_agg(tf.position ORDER BY tf.position) "
            "FROM track_facts tf WHERE tf.section_id = s.id) AS seqs "
            "FROM track_sections s ORDER BY track_id, sequence_number"))).mappings().all()
    by_id = {t["id"]: t for t in tracks}
    for t in tracks:
        assert t["total_questions"] == EXPECTED_FACTS[next(s.slug for s in TRACKS if s.id == t["id"])]
        assert t["color"].startswith("#") and len(t["color"]) == 7
        assert t["icon_url"] and t["unlock_criteria"] and t["operand_ranges"] and t["operations"]
        assert t["estimated_duration"] > 0 and t["grade_level"]
        assert t["is_locked"] == bool(t["prerequisite_track_ids"])
        for prerequisite in t["prerequisite_track_ids"] or []:
            assert prerequisite in by_id
    # Sections of a track partition its facts, in sequence: section n's facts come before n+1's.
    for t in tracks:
        mine = [s for s in sections if s["track_id"] == t["id"]]
        assert [s["sequence_number"] for s in mine] == list(range(1, len(mine) + 1))
        flat = [n for s in mine for n in s["seqs"]]
        assert flat == list(range(1, t["total_questions"] + 1))
        assert all(s["mastery_required"] == Decimal("0.80") for s in mine)


async def _plan(conn, sql: str, params: dict) -> str:
    return "\n".join((await conn.execute(text("EXPLAIN (COSTS OFF) " + sql), params)).scalars())


async def test_grid_reads_are_served_by_indexes_at_a_realistic_size(clean_db):
    """docs/curriculum.md shows these plans. With free-standing facts from rooms beside the
    tracks (about 10,000 rows), the grid query reads one track's facts from its sections and
    each fact by its key, and a cell looked up by its operands goes through the seed's partial
    idx_grid_lookup."""
    await seed_curriculum(clean_db)
    async with clean_db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO questions (operand1, operand2, operation, correct_answer, difficulty, "
            "category, sequence_number) SELECT a, b, op, 0, 'easy', 'free', 0 "
            "FROM generate_series(0, 49) a, generate_series(1, 49) b, "
            "unnest(ARRAY['+', '-', '×', '÷']) op"))
        await conn.execute(text("ANALYZE questions"))
        grid_plan = await _plan(conn, read_sql("curriculum/grid.sql"), {
            "user_id": uuid.uuid4(), "track_id": track_id("multiplication-12"), "operation": "×"})
        cell_plan = await _plan(conn, "SELECT id, track_id FROM questions WHERE operand1 = 7 "
                                      "AND operand2 = 8 AND operation = '×'", {})
    # (track_sections is a few dozen rows: the planner may read it whole or by its index.)
    assert "questions_pkey" in grid_plan and "Seq Scan on questions" not in grid_plan, grid_plan
    assert "idx_grid_lookup" in cell_plan, cell_plan
