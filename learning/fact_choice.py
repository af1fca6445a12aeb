"""Which fact of a track a student should practise next: the rule.

Every fact of the track falls in the first tier that holds for it, and the lowest tier wins:

  1 due_review     its next review date is today or earlier
  2 weakest        tried, and mastery below WEAK_BELOW (not yet answered accurately)
  3 family_missed  a family-mate's latest answer was a miss, given after this fact was last
                   answered (or this fact was never answered): 7 × 8 missed brings 8 × 7,
                   56 ÷ 7 and 56 ÷ 8 forward
  4 family_check   never tried, and a family-mate is mastered: 56 ÷ 7 for a student who has
                   mastered 7 × 8 is a quick check, not a new fact
  5 new            never tried, in a section the student has not completed
  6 strengthen     tried and not mastered, in a section the student has not completed
  7 new            never tried, in a section the student completed (by practice or placement)
  8 refresh        everything else, so practice never runs dry

A fact's family is its `fact-family:` tag (learning/catalog.py): the three numbers it shares
with its turn-around and inverse facts, so 7 × 8, 8 × 7, 56 ÷ 7 and 56 ÷ 8 are one family, and
3 + 5, 5 + 3, 8 − 3 and 8 − 5 another. Family-mates may sit in other tracks (the division
facts of a multiplication fact): what counts is the student's progress on every row of the
family. Tier 3 ends for a fact as soon as it is answered after the miss; tier 4 as soon as it
is tried, so neither can hold a fact in front forever.

Within a tier: the longest overdue first (due reviews), then the least mastered, the least
accurate and the longest unseen (facts tried before), then track order. The fact asked just
before is never chosen again; in review mode only tier 1 is.

persistence/curriculum/selection.py runs this rule as one SQL statement for a whole class at
once (a live room's personal round: one round trip for 2,000 students); `choose` here is the
same rule over facts in memory, and tests/persistence/curriculum/test_selection.py checks on
random standings that the two choose alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

# Below this mastery a fact the student has tried is "weak": they do not yet answer it
# accurately (the trigger's 'not_started', 'learning' and 'accuracy' levels).
WEAK_BELOW = Decimal("0.60")

(TIER_DUE, TIER_WEAK, TIER_FAMILY_MISSED, TIER_FAMILY_CHECK, TIER_NEW, TIER_STRENGTHEN,
 TIER_NEW_PLACED, TIER_REFRESH) = range(1, 9)
REASONS = {TIER_DUE: "due_review", TIER_WEAK: "weakest", TIER_FAMILY_MISSED: "family_missed",
           TIER_FAMILY_CHECK: "family_check", TIER_NEW: "new", TIER_STRENGTHEN: "strengthen",
           TIER_NEW_PLACED: "new", TIER_REFRESH: "refresh"}
FAMILY_TAG = "fact-family:"
MASTERED = "mastered"

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Standing:
    """A student's standing on one fact of the track; the progress fields are None where the
    student has no question_progress row for it."""
    sequence_number: int
    in_completed_section: bool = False
    total_attempts: int = 0
    correct_attempts: int = 0
    mastery: Decimal | None = None
    next_review_date: dt.date | None = None
    last_attempt_date: dt.datetime | None = None
    family: str | None = None  # its fact-family tag


@dataclass(frozen=True, slots=True)
class MemberProgress:
    """A student's progress on one row of a fact family (in any track)."""
    fluency_level: str
    total_attempts: int
    current_streak: int
    last_attempt_date: dt.datetime | None


@dataclass(frozen=True, slots=True)
class FamilyStanding:
    """What a student's progress on a family's rows says: how many they have mastered, and
    when a fact of it was last missed (the latest answer on a row whose last answer was wrong)."""
    mastered: int = 0
    last_miss: dt.datetime | None = None


def family_of(tags: Iterable[str] | None) -> str | None:
    return next((t for t in tags or () if t.startswith(FAMILY_TAG)), None)


def family_standing(members: Iterable[MemberProgress]) -> FamilyStanding:
    mastered, last_miss = 0, None
    for m in members:
        mastered += m.fluency_level == MASTERED
        if m.total_attempts > 0 and m.current_streak == 0 and m.last_attempt_date is not None \
                and (last_miss is None or m.last_attempt_date > last_miss):
            last_miss = m.last_attempt_date
    return FamilyStanding(mastered, last_miss)


def tier(standing: Standing, today: dt.date, family: FamilyStanding | None = None) -> int:
    s = standing
    tried = s.total_attempts > 0
    if s.next_review_date is not None and s.next_review_date <= today:
        return TIER_DUE
    if tried and s.mastery is not None and s.mastery < WEAK_BELOW:
        return TIER_WEAK
    # A miss on this fact itself is its own last answer, never later than it: only a mate's
    # miss after it counts.
    if family is not None and family.last_miss is not None and (
            s.last_attempt_date is None or family.last_miss > s.last_attempt_date):
        return TIER_FAMILY_MISSED
    if not tried and family is not None and family.mastered > 0:
        return TIER_FAMILY_CHECK
    if not tried and not s.in_completed_section:
        return TIER_NEW
    if s.mastery is not None and s.mastery < 1 and not s.in_completed_section:
        return TIER_STRENGTHEN
    if not tried:
        return TIER_NEW_PLACED
    return TIER_REFRESH


def _nulls_last(value: object) -> tuple[bool, object]:
    return (value is None, value)


def rank(standing: Standing, today: dt.date, family: FamilyStanding | None = None) -> tuple[object, ...]:
    """The sort key of a fact: the lowest is the choice."""
    s = standing
    level = tier(s, today, family)
    tried = s.total_attempts > 0
    return (level,
            _nulls_last(s.next_review_date if level == TIER_DUE else None),
            _nulls_last(s.mastery if tried else None),
            _nulls_last(s.correct_attempts / s.total_attempts if tried else None),
            (s.last_attempt_date is not None, s.last_attempt_date),  # never seen first
            s.sequence_number)


def choose(standings: Mapping[K, Standing], today: dt.date, exclude: K | None = None,
           *, due_only: bool = False,
           families: Mapping[str, FamilyStanding] | None = None) -> tuple[K, str] | None:
    """The fact to ask next and why (a REASONS value), or None when nothing may be asked.
    `families`: the student's FamilyStanding of each family tag (absent: nothing tried)."""
    families = families or {}

    def family(s: Standing) -> FamilyStanding | None:
        return families.get(s.family) if s.family is not None else None

    candidates = [(rank(s, today, family(s)), key) for key, s in standings.items()
                  if key != exclude and (not due_only or tier(s, today) == TIER_DUE)]
    if not candidates:
        return None
    key = min(candidates, key=lambda c: c[0])[1]
    return key, REASONS[tier(standings[key], today, family(standings[key]))]
