"""Section completion per student, track completion, unlocking, exact mastered counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.progress import (
    complete_sections_by_placement,
    refresh_after_answers,
    track_overview,
    track_progress,
)
from persistence.curriculum.seed import seed_curriculum
from tests.persistence.curriculum.helpers import section_question_ids, set_progress
from tests.support.factories import make_user

NOW = dt.datetime(2026, 3, 10, 15, 0)
ADD10, ADD20, SUB10 = track_id("addition-10"), track_id("addition-20"), track_id("subtraction-10")


async def _master(db, user, question_ids):
    for q in question_ids:
        await set_progress(db, user, q, total=2, correct=2, avg_ms=1200)
    return await refresh_after_answers(db, [(user, q) for q in question_ids], NOW)


async def test_a_section_completes_for_one_student_only_when_its_thresholds_are_met(clean_db):
    await seed_curriculum(clean_db)
    alice, bob = await make_user(clean_db), await make_user(clean_db)
    sections = await section_question_ids(clean_db, ADD10)
    first = sections[0]
    # 75% of the section mastered, the rest unseen: average mastery 0.75 < 0.80.
    cut = len(first) * 3 // 4
    await _master(clean_db, alice, first[:cut])
    progress = await track_progress(clean_db, alice, ADD10)
    assert progress["sections"][0]["is_completed"] is False
    assert progress["mastered_questions"] == cut
    await _master(clean_db, alice, first[cut:])
    progress = await track_progress(clean_db, alice, ADD10)
    assert progress["sections"][0]["is_completed"] is True
    assert progress["sections"][0]["source"] == "practice"
    assert progress["current_section_id"] == (await _section_id(clean_db, ADD10, 2))
    # Bob has done nothing: the seed's shared track_sections.is_completed is not used.
    assert (await track_progress(clean_db, bob, ADD10))["sections"][0]["is_completed"] is False


async def test_low_accuracy_keeps_a_section_open_even_with_high_mastery(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    section = (await section_question_ids(clean_db, ADD10))[2]
    for q in section:
        # 0.4 mastery each (accuracy > 75%): average 0.4 < 0.8, open.
        await set_progress(clean_db, user, q, total=5, correct=4, avg_ms=9000)
    await refresh_after_answers(clean_db, [(user, q) for q in section], NOW)
    assert (await track_progress(clean_db, user, ADD10))["sections"][2]["is_completed"] is False


async def test_completing_a_track_unlocks_the_tracks_that_need_it(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    overview = {t["id"]: t for t in await track_overview(clean_db, user)}
    assert overview[ADD10]["is_unlocked"] and not overview[ADD20]["is_unlocked"]
    unlocked = []
    for section in await section_question_ids(clean_db, ADD10):
        unlocked += await _master(clean_db, user, section)
    assert {u.track_id for u in unlocked} == {ADD20, SUB10}
    overview = {t["id"]: t for t in await track_overview(clean_db, user)}
    assert overview[ADD10]["completed_date"] == NOW
    assert overview[ADD10]["mastered_questions"] == 66
    assert overview[ADD20]["is_unlocked"] and overview[SUB10]["is_unlocked"]
    assert overview[ADD20]["started_date"] is None
    # subtraction within 20 needs both subtraction within 10 and addition within 20.
    assert not overview[track_id("subtraction-20")]["is_unlocked"]


async def test_total_time_spent_is_the_sum_of_answer_times_in_whole_minutes(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    sections = await section_question_ids(clean_db, ADD10)
    answered = sections[0][:3] + sections[1][:2]  # two sections' rows sum to the track's time
    for q in answered:
        # 45 s on each fact, as the answer flow's exact millisecond sums would hold it
        await set_progress(clean_db, user, q, total=3, correct=1, avg_ms=15000, total_ms=45001)
    await refresh_after_answers(clean_db, [(user, q) for q in answered], NOW)
    progress = await track_progress(clean_db, user, ADD10)
    assert progress["total_time_spent"] == 3  # 225,005 ms, in whole minutes
    assert progress["started_date"] == NOW
    async with clean_db.engine.connect() as conn:
        exact = await conn.scalar(text(
            "SELECT sum(total_response_time) FROM user_section_progress WHERE user_id = :u"),
            {"u": user})
    assert exact == 225005
    assert [s["mastered_questions"] for s in progress["sections"]] == [0, 0, 0, 0]


async def test_a_placement_result_completes_sections_and_can_unlock(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    async with clean_db.engine.connect() as conn:
        sections = list((await conn.execute(text(
            "SELECT id FROM track_sections WHERE track_id = :t ORDER BY sequence_number"),
            {"t": ADD10})).scalars())
    unlocked = await complete_sections_by_placement(clean_db, user, ADD10, sections, NOW)
    assert {u.track_id for u in unlocked} == {ADD20, SUB10}
    progress = await track_progress(clean_db, user, ADD10)
    assert all(s["is_completed"] and s["source"] == "placement" for s in progress["sections"])
    assert progress["completed_date"] == NOW and progress["current_section_id"] is None


async def _section_id(db, track, sequence):
    async with db.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT id FROM track_sections WHERE track_id = :t AND sequence_number = :n"),
            {"t": track, "n": sequence})


async def test_tracks_are_listed_prerequisites_first(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    names = [t["name"] for t in await track_overview(clean_db, user)]
    assert names == ["Addition within 10", "Subtraction within 10", "Addition within 20",
                     "Subtraction within 20", "Multiplication to 12 × 12", "Division to 12 × 12",
                     "Mixed review"]


async def test_a_placement_on_a_locked_track_neither_completes_it_nor_unlocks_what_needs_it(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    mult, div = track_id("multiplication-12"), track_id("division-12")
    async with clean_db.engine.connect() as conn:
        sections = list((await conn.execute(text(
            "SELECT id FROM track_sections WHERE track_id = :t ORDER BY sequence_number"),
            {"t": mult})).scalars())
    unlocked = await complete_sections_by_placement(clean_db, user, mult, sections, NOW)
    assert unlocked == []
    progress = await track_progress(clean_db, user, mult)
    # The placement result is kept, section by section, but the track is still locked.
    assert all(s["is_completed"] and s["source"] == "placement" for s in progress["sections"])
    assert progress["is_unlocked"] is False and progress["completed_date"] is None
    overview = {t["id"]: t for t in await track_overview(clean_db, user)}
    assert not overview[div]["is_unlocked"]


async def test_a_locked_track_placed_out_of_completes_when_it_unlocks(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    mult, div = track_id("multiplication-12"), track_id("division-12")
    async with clean_db.engine.connect() as conn:
        sections = list((await conn.execute(text(
            "SELECT id FROM track_sections WHERE track_id = :t ORDER BY sequence_number"),
            {"t": mult})).scalars())
    await complete_sections_by_placement(clean_db, user, mult, sections, NOW)
    unlocked = []
    for track in (ADD10, ADD20):  # multiplication needs addition within 20, which needs within 10
        for section in await section_question_ids(clean_db, track):
            unlocked += await _master(clean_db, user, section)
    # Addition within 20 opens multiplication, whose placement result then completes it,
    # which opens division: one refresh, to the end of the chain.
    assert {mult, div} <= {u.track_id for u in unlocked}
    progress = await track_progress(clean_db, user, mult)
    assert progress["is_unlocked"] and progress["completed_date"] == NOW
