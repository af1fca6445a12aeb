"""Question choice: due reviews, then the weakest facts, then new facts in order; no repeats."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from persistence.curriculum.catalog import track_id
from persistence.curriculum.progress import complete_sections_by_placement
from persistence.curriculum.seed import seed_curriculum
from persistence.curriculum.selection import choose_next_fact, choose_next_facts, placement_facts
from tests.persistence.curriculum.helpers import section_question_ids, set_progress, track_question_ids
from tests.support.factories import make_user

TODAY = dt.date(2026, 3, 10)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)

TRACK = track_id("addition-10")


async def test_a_new_student_gets_new_facts_in_track_order_without_repeats(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    ids = await track_question_ids(clean_db, TRACK)
    first = await choose_next_fact(clean_db, user, TRACK, None, TODAY)
    assert (first.question_id, first.reason) == (ids[0], "new")
    second = await choose_next_fact(clean_db, user, TRACK, ids[0], TODAY)
    assert (second.question_id, second.reason) == (ids[1], "new")


async def test_due_reviews_come_first_then_weakest_then_new(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    ids = await track_question_ids(clean_db, TRACK)
    # ids[0..1] mastered and not due; ids[2] weak (1 of 4 right); ids[3] weaker (0 of 3);
    # ids[4] mastered but due yesterday; ids[5] due two days ago.
    await set_progress(clean_db, user, ids[0], total=3, correct=3, avg_ms=1500, next_review=TODAY + days(3))
    await set_progress(clean_db, user, ids[1], total=3, correct=3, avg_ms=1500, next_review=TODAY + days(1))
    await set_progress(clean_db, user, ids[2], total=4, correct=1, avg_ms=5000, next_review=TODAY + days(1))
    await set_progress(clean_db, user, ids[3], total=3, correct=0, avg_ms=5000, next_review=TODAY + days(1))
    await set_progress(clean_db, user, ids[4], total=3, correct=3, avg_ms=1500, next_review=TODAY - days(1))
    await set_progress(clean_db, user, ids[5], total=3, correct=3, avg_ms=1500, next_review=TODAY - days(2))

    order, last = [], None
    for _ in range(5):
        choice = await choose_next_fact(clean_db, user, TRACK, last, TODAY)
        order.append((ids.index(choice.question_id), choice.reason))
        await set_progress(clean_db, user, choice.question_id, total=5, correct=5, avg_ms=1500,
                           next_review=TODAY + days(1))
        last = choice.question_id
    assert order == [(5, "due_review"), (4, "due_review"), (3, "weakest"), (2, "weakest"), (6, "new")]


async def test_the_same_fact_never_comes_twice_in_a_row(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    ids = await track_question_ids(clean_db, TRACK)
    # Only one fact is due and one is weak: excluding the due one must fall through to the weak.
    await set_progress(clean_db, user, ids[7], total=2, correct=2, avg_ms=1500, next_review=TODAY)
    await set_progress(clean_db, user, ids[8], total=2, correct=0, avg_ms=4000, next_review=TODAY + days(1))
    due = await choose_next_fact(clean_db, user, TRACK, None, TODAY)
    assert due.question_id == ids[7]
    after = await choose_next_fact(clean_db, user, TRACK, ids[7], TODAY)
    assert after.question_id == ids[8] and after.reason == "weakest"


async def test_review_mode_offers_only_due_facts(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    ids = await track_question_ids(clean_db, TRACK)
    assert await choose_next_fact(clean_db, user, TRACK, None, TODAY, due_only=True) is None
    await set_progress(clean_db, user, ids[10], total=1, correct=1, avg_ms=1500, next_review=TODAY)
    choice = await choose_next_fact(clean_db, user, TRACK, None, TODAY, due_only=True)
    assert choice.question_id == ids[10]
    assert await choose_next_fact(clean_db, user, TRACK, ids[10], TODAY, due_only=True) is None
    # A day earlier it was not due yet.
    assert await choose_next_fact(clean_db, user, TRACK, None, TODAY - days(1), due_only=True) is None


async def test_a_placement_quiz_samples_every_section_up_to_its_hardest_fact(clean_db):
    await seed_curriculum(clean_db)
    quiz = await placement_facts(clean_db, track_id("multiplication-12"))
    sections = [item["section_id"] for item in quiz]
    assert len(set(sections)) == 6 and len(quiz) == 18
    assert sections == sorted(sections, key=sections.index)  # grouped, in section order
    assert len({item["question_id"] for item in quiz}) == 18


async def test_open_sections_come_before_sections_already_completed(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    sections = await section_question_ids(clean_db, TRACK)
    async with clean_db.engine.connect() as conn:
        first_section = await conn.scalar(text(
            "SELECT id FROM track_sections WHERE track_id = :t AND sequence_number = 1"), {"t": TRACK})
    await complete_sections_by_placement(clean_db, user, TRACK, [first_section],
                                         dt.datetime(2026, 3, 10, 9))
    choice = await choose_next_fact(clean_db, user, TRACK, None, TODAY)
    assert (choice.question_id, choice.reason) == (sections[1][0], "new")
    # A fact tried but not mastered in an open section comes before new facts of a completed one.
    for q in sections[1] + sections[2] + sections[3]:
        await set_progress(clean_db, user, q, total=1, correct=1, avg_ms=1000, next_review=TODAY + days(1))
    await set_progress(clean_db, user, sections[3][0], total=1, correct=1, avg_ms=4000,
                       next_review=TODAY + days(1))
    choice = await choose_next_fact(clean_db, user, TRACK, None, TODAY)
    assert (choice.question_id, choice.reason) == (sections[3][0], "strengthen")
    choice = await choose_next_fact(clean_db, user, TRACK, sections[3][0], TODAY)
    assert (choice.question_id, choice.reason) == (sections[0][0], "new")


async def test_the_batch_choice_agrees_with_choose_next_fact_for_every_student(clean_db):
    """A live room's personal round chooses for the whole class in one statement; for each
    student it must be exactly the fact solo practice would choose."""
    await seed_curriculum(clean_db)
    ids = await track_question_ids(clean_db, TRACK)
    sections = await section_question_ids(clean_db, TRACK)
    async with clean_db.engine.connect() as conn:
        first_section = await conn.scalar(text(
            "SELECT id FROM track_sections WHERE track_id = :t AND sequence_number = 1"), {"t": TRACK})
    new, due, weak, placed, mastered = [await make_user(clean_db) for _ in range(5)]
    await set_progress(clean_db, due, ids[5], total=3, correct=3, avg_ms=1500, next_review=TODAY - days(2))
    await set_progress(clean_db, due, ids[6], total=3, correct=3, avg_ms=1500, next_review=TODAY - days(1))
    await set_progress(clean_db, weak, ids[3], total=4, correct=1, avg_ms=5000, next_review=TODAY + days(1))
    await complete_sections_by_placement(clean_db, placed, TRACK, [first_section],
                                         dt.datetime(2026, 3, 10, 9))
    for q in ids:
        await set_progress(clean_db, mastered, q, total=3, correct=3, avg_ms=1000,
                           next_review=TODAY + days(3))
    students = [(new, None), (due, ids[5]), (weak, None), (placed, sections[1][0]), (mastered, ids[0])]
    for due_only in (False, True):
        batch = await choose_next_facts(clean_db, TRACK, students, TODAY, due_only=due_only)
        for user, exclude in students:
            single = await choose_next_fact(clean_db, user, TRACK, exclude, TODAY, due_only=due_only)
            assert batch.get(user) == single, (user, due_only)
    batch = await choose_next_facts(clean_db, TRACK, students, TODAY)
    assert batch[due].question_id == ids[6] and batch[due].reason == "due_review"
    assert batch[weak].question_id == ids[3] and batch[weak].reason == "weakest"
    assert batch[new].question_id == ids[0] and batch[new].reason == "new"
    assert await choose_next_facts(clean_db, TRACK, [], TODAY) == {}


async def test_a_live_room_gets_only_two_operand_facts_of_its_operation(clean_db):
    await seed_curriculum(clean_db)
    user = await make_user(clean_db)
    mixed = track_id("mixed-review")
    async with clean_db.engine.connect() as conn:
        operations = set((await conn.scalars(text(
            "SELECT DISTINCT operation FROM questions WHERE track_id = :t AND operand3 IS NULL"),
            {"t": mixed})).all())
    assert len(operations) > 1
    for operation in sorted(operations):
        chosen = await choose_next_facts(clean_db, mixed, [(user, None)], TODAY, live_only=True,
                                         operation=operation)
        assert chosen[user].operation == operation
