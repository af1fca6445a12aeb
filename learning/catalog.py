"""The standard learning tracks: every fact, in sections, with the strategy that teaches it.

Pure data built by functions (no I/O). Identifiers are UUIDv5 names derived from stable
slugs, so `mathrally seed` can run any number of times and always address the same rows.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from learning import strategies

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mathrally.org/curriculum")

CATEGORY = {"+": "addition", "-": "subtraction", "×": "multiplication", "÷": "division"}
SYMBOL = {"+": "+", "-": "−", "×": "×", "÷": "÷"}


@dataclass(frozen=True)
class Fact:
    operand1: int
    operand2: int
    operation: str

    @property
    def answer(self) -> int:
        a, b = self.operand1, self.operand2
        if self.operation == "+":
            return a + b
        if self.operation == "-":
            return a - b
        if self.operation == "×":
            return a * b
        return a // b

    @property
    def label(self) -> str:
        return f"{self.operand1} {SYMBOL[self.operation]} {self.operand2}"

    def teaching(self) -> strategies.Teaching:
        a, b = self.operand1, self.operand2
        return {"+": strategies.addition, "-": strategies.subtraction,
                "×": strategies.multiplication, "÷": strategies.division}[self.operation](a, b)

    def tags(self, family: str) -> list[str]:
        a, b, c = self.operand1, self.operand2, self.answer
        tags = [f"family:{family}", f"strategy:{self.teaching().strategy}"]
        if self.operation in ("+", "×"):
            lo, hi = sorted((a, b))
            tags.append(f"commutative:{lo}{self.operation}{hi}")
            tags.append(f"fact-family:{'+' if self.operation == '+' else '×'}:{lo},{hi},{c}")
        elif self.operation == "-":
            lo, hi = sorted((b, c))
            tags.append(f"fact-family:+:{lo},{hi},{a}")
        else:
            lo, hi = sorted((b, c))
            tags.append(f"fact-family:×:{lo},{hi},{a}")
        return tags

    def difficulty(self) -> str:
        strategy = self.teaching().strategy
        if strategy in EASY_STRATEGIES:
            return "easy"
        if strategy in HARD_STRATEGIES or self.answer > 60:
            return "hard"
        return "medium"


EASY_STRATEGIES = {"plus-zero", "plus-one", "doubles", "pairs-to-ten", "count-on", "minus-zero",
                   "minus-itself", "minus-one", "times-zero", "times-one", "times-ten",
                   "zero-divided", "divide-by-one", "divide-by-itself", "halving", "divide-by-ten"}
HARD_STRATEGIES = {"back-through-ten", "double-four", "five-plus-two", "ten-plus-two"}


@dataclass(frozen=True)
class SectionSpec:
    name: str
    family: str  # the tag every fact of the section carries ("×0–×2", "make ten", …)
    matches: Callable[[Fact], bool]
    mastery_required: str = "0.80"
    minimum_accuracy: str = "70.00"


@dataclass(frozen=True)
class TrackSpec:
    slug: str
    name: str
    description: str
    grade_level: str
    difficulty: str
    estimated_duration: int  # hours
    operations: tuple[str, ...]
    operand_ranges: dict[str, Any]
    color: str
    icon: str
    prerequisites: tuple[str, ...]
    facts: Callable[[], Iterable[Fact]]
    sections: tuple[SectionSpec, ...]
    display_format: str = "horizontal"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return track_id(self.slug)


def track_id(slug: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"track:{slug}")


def section_id(slug: str, sequence: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"section:{slug}:{sequence}")


def question_id(slug: str, fact: Fact) -> uuid.UUID:
    """The row of `fact` in the track `slug` whose own row it is (its home_slug)."""
    return uuid.uuid5(NAMESPACE, f"fact:{slug}:{fact.operand1}{fact.operation}{fact.operand2}")


# --- the facts of each track ------------------------------------------------------------


def _addition(max_sum_low: int, max_sum_high: int) -> list[Fact]:
    return [Fact(a, b, "+") for a in range(11) for b in range(11)
            if max_sum_low <= a + b <= max_sum_high]


def _subtraction(min_minuend: int, max_minuend: int) -> list[Fact]:
    # The inverses of the addition facts with addends 0..10.
    return [Fact(a, b, "-") for a in range(min_minuend, max_minuend + 1) for b in range(11)
            if b <= a and a - b <= 10]


def _multiplication() -> list[Fact]:
    return [Fact(a, b, "×") for a in range(13) for b in range(13)]


def _division() -> list[Fact]:
    # Whole-number quotients only: each multiplication fact divisor × quotient, turned around.
    return [Fact(divisor * quotient, divisor, "÷") for divisor in range(1, 13) for quotient in range(13)]


def _mixed_review() -> list[Fact]:
    tricky = range(6, 10)
    facts = [Fact(a, b, "+") for a in tricky for b in tricky]
    facts += [Fact(a + b, b, "-") for a in tricky for b in tricky]
    facts += [Fact(a, b, "×") for a in (*tricky, 12) for b in tricky]
    facts += [Fact(a * b, b, "÷") for a in (*tricky, 12) for b in tricky]
    return facts


def _in_families(*families: int) -> Callable[[Fact], bool]:
    def matches(fact: Fact) -> bool:
        if fact.operation == "×":
            return fact.operand1 in families or fact.operand2 in families
        return fact.operand2 in families or fact.answer in families

    return matches


def _strategy(*names: str) -> Callable[[Fact], bool]:
    return lambda fact: fact.teaching().strategy in names


def _any(_: Fact) -> bool:
    return True


def _family_sections(symbol: str) -> tuple[SectionSpec, ...]:
    # Easy families first; 6, 7 and 8 (the facts children find hardest) last.
    groups = ((0, 1, 2), (5, 10), (3, 4), (9, 11), (12,), (6, 7, 8))
    sections = []
    for group in groups:
        shown = [n for n in group if not (symbol == "÷" and n == 0)]  # no ÷0; 0 ÷ n sits with ÷1
        name = " ".join(f"{symbol}{n}" for n in shown)
        sections.append(SectionSpec(name, name, _in_families(*group)))
    return tuple(sections)


TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec(
        "addition-10", "Addition within 10",
        "Every sum up to 10: adding 0 and 1, doubles, partners that make ten.",
        "K", "beginner", 3, ("+",),
        {"operand1": [0, 10], "operand2": [0, 10], "result": [0, 10]},
        "#2E7D32", "icons/tracks/addition.svg", (), lambda: _addition(0, 10),
        (SectionSpec("Add 0 and 1", "+0 +1", _strategy("plus-zero", "plus-one")),
         SectionSpec("Add 2, doubles and near doubles", "+2 doubles",
                     _strategy("count-on", "doubles", "near-doubles")),
         SectionSpec("Partners of ten", "pairs to ten", _strategy("pairs-to-ten")),
         SectionSpec("The rest within 10", "within 10", _any))),
    TrackSpec(
        "addition-20", "Addition within 20",
        "Sums from 11 to 20 with addends up to 10, by making ten.",
        "1", "easy", 4, ("+",),
        {"operand1": [1, 10], "operand2": [1, 10], "result": [11, 20]},
        "#388E3C", "icons/tracks/addition.svg", ("addition-10",), lambda: _addition(11, 20),
        (SectionSpec("Doubles and near doubles", "doubles", _strategy("doubles", "near-doubles")),
         SectionSpec("Add 10 and 9", "+10 +9 make ten",
                     lambda f: 9 in (f.operand1, f.operand2) or 10 in (f.operand1, f.operand2)),
         SectionSpec("Make ten with 8, 7 and 6", "make ten +8 +7 +6", _any))),
    TrackSpec(
        "subtraction-10", "Subtraction within 10",
        "Taking away within 10 by thinking addition.",
        "K", "beginner", 3, ("-",),
        {"operand1": [0, 10], "operand2": [0, 10], "result": [0, 10]},
        "#1565C0", "icons/tracks/subtraction.svg", ("addition-10",), lambda: _subtraction(0, 10),
        (SectionSpec("Take away 0, 1 and all", "−0 −1 −n",
                     _strategy("minus-zero", "minus-one", "minus-itself")),
         SectionSpec("Take from 10", "from ten", lambda f: f.operand1 == 10),
         SectionSpec("Halves of doubles", "doubles", lambda f: f.operand1 == 2 * f.operand2),
         SectionSpec("Think addition", "within 10", _any))),
    TrackSpec(
        "subtraction-20", "Subtraction within 20",
        "Taking away from the teens: back through ten, or think addition.",
        "1", "easy", 4, ("-",),
        {"operand1": [11, 20], "operand2": [1, 10], "result": [1, 10]},
        "#1976D2", "icons/tracks/subtraction.svg", ("subtraction-10", "addition-20"),
        lambda: _subtraction(11, 20),
        (SectionSpec("Halves of doubles", "doubles", lambda f: f.operand1 == 2 * f.operand2),
         SectionSpec("Take away 9 and 10", "−9 −10", lambda f: f.operand2 in (9, 10)),
         SectionSpec("Take away 8 and 7", "−8 −7", lambda f: f.operand2 in (7, 8)),
         SectionSpec("The rest to 20", "within 20", _any))),
    TrackSpec(
        "multiplication-12", "Multiplication to 12 × 12",
        "Every times-table fact to 12 × 12, family by family, from the easy ones out.",
        "3", "medium", 10, ("×",),
        {"operand1": [0, 12], "operand2": [0, 12]},
        "#EF6C00", "icons/tracks/multiplication.svg", ("addition-20",), _multiplication,
        _family_sections("×")),
    TrackSpec(
        "division-12", "Division to 12 × 12",
        "Every division with a whole-number answer from the 12 × 12 table, by fact family.",
        "3", "medium", 10, ("÷",),
        {"operand1": [0, 144], "operand2": [1, 12], "result": [0, 12]},
        "#6A1B9A", "icons/tracks/division.svg", ("multiplication-12",), _division,
        _family_sections("÷")),
    TrackSpec(
        "mixed-review", "Mixed review",
        "The trickiest facts of all four operations, mixed: crossing ten, the 6–9 and 12 tables.",
        "4", "hard", 4, ("+", "-", "×", "÷"),
        {"+": {"operand1": [6, 9], "operand2": [6, 9]}, "-": {"operand1": [12, 18], "operand2": [6, 9]},
         "×": {"operand1": [6, 12], "operand2": [6, 9]}, "÷": {"operand1": [36, 108], "operand2": [6, 9]}},
        "#C62828", "icons/tracks/mixed.svg", ("subtraction-20", "division-12"), _mixed_review,
        (SectionSpec("Adding and subtracting across ten", "across ten",
                     lambda f: f.operation in ("+", "-")),
         SectionSpec("Tricky times tables", "×6–×9 ×12", lambda f: f.operation == "×"),
         SectionSpec("Tricky divisions", "÷6–÷9", _any))),
)


def track_by_slug(slug: str) -> TrackSpec:
    for track in TRACKS:
        if track.slug == slug:
            return track
    raise KeyError(slug)


@dataclass(frozen=True)
class PlacedFact:
    fact: Fact
    section: int  # 1-based section sequence
    sequence_number: int  # 1-based, across the whole track


def sectioned_facts(track: TrackSpec) -> list[PlacedFact]:
    """Every fact of the track, each in the first section that claims it, in track order."""
    by_section: list[list[Fact]] = [[] for _ in track.sections]
    for fact in track.facts():
        for index, section in enumerate(track.sections):
            if section.matches(fact):
                by_section[index].append(fact)
                break
        else:  # pragma: no cover — every track ends with a catch-all section
            raise ValueError(f"{fact.label} fits no section of {track.slug}")
    placed, sequence = [], 0
    for index, facts in enumerate(by_section):
        for fact in facts:
            sequence += 1
            placed.append(PlacedFact(fact, index + 1, sequence))
    return placed


def home_slug(fact: Fact) -> str:
    """The track whose row a fact is: the first one-operation track that holds it. One fact is
    one question row, so a track of several operations (mixed review) holds the rows of the
    one-operation tracks, and its progress and theirs are the same progress."""
    for track in TRACKS:
        if len(track.operations) == 1 and fact in _fact_set(track.slug):
            return track.slug
    raise KeyError(f"no one-operation track holds {fact.label}")


@functools.cache
def _fact_set(slug: str) -> frozenset[Fact]:
    return frozenset(track_by_slug(slug).facts())


def unlock_criteria(track: TrackSpec) -> str:
    if not track.prerequisites:
        return "Open from the start."
    names = [track_by_slug(slug).name for slug in track.prerequisites]
    return "Complete every section of " + " and ".join(names) + "."
