"""Question choice: due reviews, then the weakest facts, then new facts in order; no repeats."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import text

from learning.catalog import track_id
from learning.fact_choice import MemberProgress, Standing, choose, family_of, family_standing
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
    assert order[:4] == [(5, "due_review"), (4, "due_review"), (3, "weakest"), (2, "weakest")]
    # The facts now mastered have turn-arounds never tried: a quick check comes before new facts.
    assert order[4][1] == "family_check"


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
            "SELECT DISTINCT q.operation FROM track_facts tf JOIN questions q ON q.id = tf.question_id "
            "WHERE tf.track_id = :t AND q.operand3 IS NULL"), {"t": mixed})).all())
    assert len(operations) > 1
    for operation in sorted(operations):
        chosen = await choose_next_facts(clean_db, mixed, [(user, None)], TODAY, live_only=True,
                                         operation=operation)
        assert chosen[user].operation == operation


async def _standings(db, user, track) -> tuple[dict, dict]:
    """The student's standing on every fact of the track, and on every row of those facts'
    families (in any track), read plainly from the tables."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT q.id, tf.position, q.tags, qp.total_attempts, qp.correct_attempts, qp.mastery, "
            "qp.next_review_date, qp.last_attempt_date, EXISTS (SELECT 1 FROM track_sections s "
            "JOIN user_section_progress usp ON usp.section_id = s.id AND usp.user_id = :u "
            "AND usp.is_completed WHERE s.track_id = :t AND q.id = ANY(s.question_ids)) AS done "
            "FROM track_facts tf JOIN questions q ON q.id = tf.question_id "
            "LEFT JOIN question_progress qp ON qp.question_id = q.id "
            "AND qp.user_id = :u WHERE tf.track_id = :t"), {"u": user, "t": track})).mappings().all()
        members = (await conn.execute(text(
            "SELECT q.tags, qp.fluency_level, qp.total_attempts, qp.current_streak, "
            "qp.last_attempt_date FROM question_progress qp JOIN questions q ON q.id = qp.question_id "
            "WHERE qp.user_id = :u"), {"u": user})).mappings().all()
    standings = {r["id"]: Standing(r["position"], r["done"], r["total_attempts"] or 0,
                                   r["correct_attempts"] or 0, r["mastery"], r["next_review_date"],
                                   r["last_attempt_date"], family_of(r["tags"])) for r in rows}
    by_family: dict[str, list[MemberProgress]] = {}
    for m in members:
        family = family_of(m["tags"])
        if family is not None:
            by_family.setdefault(family, []).append(MemberProgress(
                m["fluency_level"], m["total_attempts"], m["current_streak"], m["last_attempt_date"]))
    return standings, {f: family_standing(ms) for f, ms in by_family.items()}


async def test_the_sql_chooses_as_the_rule_in_learning_does(clean_db):
    """On random standings, choose_next_fact (SQL) and learning.fact_choice.choose agree."""
    await seed_curriculum(clean_db)
    rng = random.Random(20260310)
    reasons: set[str | None] = set()
    ids = await track_question_ids(clean_db, TRACK)
    async with clean_db.engine.connect() as conn:
        section_ids = list((await conn.execute(text(
            "SELECT id FROM track_sections WHERE track_id = :t ORDER BY sequence_number"),
            {"t": TRACK})).scalars())
    # Each student a different mix, so that every tier decides some choices: how much of the
    # track they tried, how much of it is due, how many sections they placed out of, and how
    # often they answer right (a strong student has few weak facts, so later tiers decide).
    # Progress on subtraction within 10 too: its facts are family-mates of the addition facts
    # (8 − 3 of 3 + 5), so their misses and masteries move addition facts.
    mates = await track_question_ids(clean_db, track_id("subtraction-10"))
    # A skill is how often they are right and how fast: the last two are always right, so only
    # their later tiers (strengthen, and refresh once everything is mastered) decide.
    skills = {"weak": (0.4, [900, 1800, 2500, 4000, 7000]), "good": (0.97, [900, 1800, 2500, 4000, 7000]),
              "fluent": (1.0, [900, 1800, 2500]), "perfect": (1.0, [900])}
    mixes = [(tried, due, placed, skill, mates) for tried in (0.0, 0.15, 0.6, 1.0)
             for due in (0.0, 0.3) for placed in (0, 2) for skill in skills
             for mates in (0.0, 0.4)]
    for tried_share, due_share, placed, skill_name, mates_share in mixes:
        skill, times = skills[skill_name]
        user = await make_user(clean_db)
        if placed:
            await complete_sections_by_placement(clean_db, user, TRACK, rng.sample(section_ids, placed),
                                                 dt.datetime(2026, 3, 1, 9))
        tried = rng.sample(ids, round(tried_share * len(ids)))
        for q in tried + rng.sample(mates, round(mates_share * len(mates))):
            total = rng.randint(1, 6)
            due = rng.random() < due_share
            correct = sum(rng.random() < skill for _ in range(total))
            last_right = correct > 0 and rng.random() < skill
            await set_progress(clean_db, user, q, total=total, correct=correct,
                               avg_ms=rng.choice(times),
                               next_review=TODAY + days(rng.randint(-4, 0) if due else rng.randint(1, 4)),
                               last=dt.datetime(2026, 3, rng.randint(1, 9), rng.randint(8, 15)),
                               streak=rng.randint(1, correct) if last_right else 0)
        standings, families = await _standings(clean_db, user, TRACK)
        first = choose(standings, TODAY, families=families)
        for exclude in (None, first[0] if first else None, rng.choice(ids)):
            for due_only in (False, True):
                sql = await choose_next_fact(clean_db, user, TRACK, exclude, TODAY, due_only=due_only)
                rule = choose(standings, TODAY, exclude, due_only=due_only, families=families)
                assert (None if sql is None else (sql.question_id, sql.reason)) == rule
                reasons.add(rule[1] if rule else None)
    # Every tier decided some choice, so the agreement covers each of them.
    assert {"due_review", "weakest", "family_missed", "family_check", "new", "strengthen",
            "refresh"} <= reasons


async def _fact(db, a, b, op):
    async with db.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT q.id FROM questions q JOIN learning_tracks t ON t.id = q.track_id "
            "WHERE q.operand1 = :a AND q.operand2 = :b AND q.operation = :op "
            "AND cardinality(t.operations) = 1"), {"a": a, "b": b, "op": op})


async def test_families_reach_across_tracks(clean_db):
    """7 × 8, 8 × 7, 56 ÷ 7 and 56 ÷ 8 are one family, in two tracks."""
    await seed_curriculum(clean_db)
    mult, div = track_id("multiplication-12"), track_id("division-12")
    seven_eight, eight_seven = await _fact(clean_db, 7, 8, "×"), await _fact(clean_db, 8, 7, "×")
    by_seven, by_eight = await _fact(clean_db, 56, 7, "÷"), await _fact(clean_db, 56, 8, "÷")
    # Mastered 7 × 8: in division, 56 ÷ 8 (the first of the family in track order) comes first
    # as a quick check, ahead of the ÷1 facts a new student would start with.
    fluent = await make_user(clean_db)
    await set_progress(clean_db, fluent, seven_eight, total=4, correct=4, avg_ms=1200,
                       next_review=TODAY + days(5))
    first = await choose_next_fact(clean_db, fluent, div, None, TODAY)
    assert (first.question_id, first.reason) in {(by_seven, "family_check"), (by_eight, "family_check")}
    # Then 7 × 8 missed, after 8 × 7 was last answered right: in multiplication, 8 × 7 comes
    # before any new fact; in division both divisions do.
    await set_progress(clean_db, fluent, eight_seven, total=2, correct=2, avg_ms=1500,
                       next_review=TODAY + days(3), last=dt.datetime(2026, 3, 9, 9))
    await set_progress(clean_db, fluent, seven_eight, total=5, correct=4, avg_ms=1600,
                       next_review=TODAY + days(1), last=dt.datetime(2026, 3, 9, 10), streak=0)
    after_miss = await choose_next_fact(clean_db, fluent, mult, seven_eight, TODAY)
    assert (after_miss.question_id, after_miss.reason) == (eight_seven, "family_missed")
    in_division = await choose_next_facts(clean_db, div, [(fluent, None)], TODAY)
    assert in_division[fluent].reason == "family_missed"
    assert in_division[fluent].question_id in {by_seven, by_eight}
