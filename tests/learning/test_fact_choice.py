"""The rule of which fact comes next (learning/fact_choice.py), on standings in memory."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from learning.fact_choice import FamilyStanding, MemberProgress, Standing, choose, family_of, family_standing

TODAY = dt.date(2026, 3, 10)
SEEN = dt.datetime(2026, 3, 1, 12)


def tried(seq: int, *, correct: int, total: int = 4, mastery: str, due_in: int = 3,
          seen: dt.datetime = SEEN, completed: bool = False, family: str | None = None) -> Standing:
    return Standing(seq, completed, total, correct, Decimal(mastery),
                    TODAY + dt.timedelta(days=due_in), seen, family)


def test_a_new_student_goes_in_track_order_never_repeating():
    facts = {f"f{i}": Standing(i) for i in range(1, 4)}
    assert choose(facts, TODAY) == ("f1", "new")
    assert choose(facts, TODAY, exclude="f1") == ("f2", "new")


def test_due_then_weakest_then_new_then_strengthen_then_placed_then_refresh():
    facts = {
        "mastered": tried(1, correct=4, mastery="1.00"),
        "learning": tried(2, correct=3, mastery="0.80"),
        "weak": tried(3, correct=1, mastery="0.20"),
        "due": tried(4, correct=4, mastery="1.00", due_in=0),
        "new": Standing(5),
        "placed": Standing(6, in_completed_section=True),
    }
    order = []
    while facts:
        key, reason = choose(facts, TODAY)
        order.append((key, reason))
        del facts[key]
    assert order == [("due", "due_review"), ("weak", "weakest"), ("new", "new"),
                     ("learning", "strengthen"), ("placed", "new"), ("mastered", "refresh")]


def test_within_a_tier():
    overdue = {"yesterday": tried(1, correct=4, mastery="1.00", due_in=-1),
               "last_week": tried(2, correct=4, mastery="1.00", due_in=-7)}
    assert choose(overdue, TODAY) == ("last_week", "due_review")
    weak = {"a": tried(1, correct=2, mastery="0.40"), "b": tried(2, correct=1, mastery="0.40"),
            "c": tried(3, correct=1, mastery="0.40", seen=SEEN - dt.timedelta(days=2))}
    # The same mastery: the least accurate, then the longest unseen.
    assert choose(weak, TODAY) == ("c", "weakest")
    assert choose(weak, TODAY, exclude="c") == ("b", "weakest")


def test_review_mode_offers_due_facts_only():
    facts = {"weak": tried(1, correct=0, mastery="0.00"), "new": Standing(2)}
    assert choose(facts, TODAY, due_only=True) is None
    facts["due"] = tried(3, correct=4, mastery="1.00", due_in=0)
    assert choose(facts, TODAY, due_only=True) == ("due", "due_review")
    assert choose(facts, TODAY, exclude="due", due_only=True) is None


def test_nothing_to_choose():
    assert choose({}, TODAY) is None
    assert choose({"only": Standing(1)}, TODAY, exclude="only") is None


# ---- fact families -------------------------------------------------------------------------

TIMES = "fact-family:×:7,8,56"
LATER = dt.datetime(2026, 3, 5, 12)


def member(level: str, *, streak: int, at: dt.datetime, total: int = 3) -> MemberProgress:
    return MemberProgress(level, total, streak, at)


def test_family_tags_and_standing():
    assert family_of(["family:×6 ×7 ×8", TIMES, "strategy:double-four"]) == TIMES
    assert family_of([]) is None and family_of(None) is None
    standing = family_standing([member("mastered", streak=4, at=SEEN),
                                member("learning", streak=0, at=LATER),
                                member("accuracy", streak=0, at=SEEN),
                                member("learning", streak=0, at=LATER, total=0)])
    assert standing == FamilyStanding(mastered=1, last_miss=LATER)
    assert family_standing([]) == FamilyStanding()


def test_a_fact_whose_family_mate_is_mastered_comes_as_a_quick_check_before_new_facts():
    # A division track: 56 ÷ 7 is new, but the student has mastered 7 × 8 (another track).
    facts = {"12÷3": Standing(1, family="fact-family:×:3,4,12"), "56÷7": Standing(2, family=TIMES)}
    assert choose(facts, TODAY) == ("12÷3", "new")
    families = {TIMES: FamilyStanding(mastered=1)}
    assert choose(facts, TODAY, families=families) == ("56÷7", "family_check")
    # Once tried it is an ordinary fact again: the check is never asked twice for that reason.
    tried_once = {**facts, "56÷7": tried(2, correct=1, total=1, mastery="1.00", family=TIMES)}
    assert choose(tried_once, TODAY, families=families)[1] != "family_check"


def test_a_missed_fact_brings_its_family_mate_forward_until_the_mate_is_answered():
    facts = {"new": Standing(1),
             "8×7": tried(2, correct=4, mastery="1.00", seen=SEEN, family=TIMES),
             "7×8": tried(3, correct=3, total=4, mastery="0.80", seen=LATER, family=TIMES)}
    # 7 × 8 was just missed (after 8 × 7 was last answered): 8 × 7 comes first, before new facts.
    families = {TIMES: FamilyStanding(mastered=1, last_miss=LATER)}
    assert choose(facts, TODAY, exclude="7×8", families=families) == ("8×7", "family_missed")
    # The miss was 7 × 8's own last answer: it does not bring itself forward.
    assert choose(facts, TODAY, exclude="8×7", families=families) == ("new", "new")
    # 8 × 7 answered after the miss: back to the ordinary order.
    answered = {**facts, "8×7": tried(2, correct=5, total=5, mastery="1.00",
                                      seen=LATER + dt.timedelta(minutes=1), family=TIMES)}
    assert choose(answered, TODAY, exclude="7×8", families=families) == ("new", "new")


def test_due_and_weak_facts_still_come_before_family_tiers():
    facts = {"due": tried(1, correct=4, mastery="1.00", due_in=0),
             "weak": tried(2, correct=1, mastery="0.20"),
             "mate": Standing(3, family=TIMES)}
    families = {TIMES: FamilyStanding(mastered=1, last_miss=LATER)}
    assert choose(facts, TODAY, families=families) == ("due", "due_review")
    assert choose(facts, TODAY, exclude="due", families=families) == ("weak", "weakest")
    assert choose(facts, TODAY, exclude="weak", due_only=True, families=families) == ("due", "due_review")
