"""The hint and explanation of one fact: a strategy a child can reuse, not just the answer.

A hint nudges toward the strategy without giving the answer away; the explanation walks
through it to the answer. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Teaching:
    strategy: str  # a short slug, also used as a tag ("strategy:make-ten")
    hint: str
    explanation: str


def addition(a: int, b: int) -> Teaching:
    total = a + b
    big, small = max(a, b), min(a, b)
    if small == 0:
        return Teaching("plus-zero", "Adding 0 changes nothing.",
                        f"Adding 0 changes nothing: {a} + {b} = {total}.")
    if small == 1:
        return Teaching("plus-one", f"Adding 1 is the next number after {big}.",
                        f"The number after {big} is {total}, so {a} + {b} = {total}.")
    if a == b:
        return Teaching("doubles", f"It is a double: what is double {a}?",
                        f"Doubles: double {a} is {total}, so {a} + {b} = {total}.")
    if big - small == 1:
        return Teaching("near-doubles", f"Near double: use {small} + {small} and add one more.",
                        f"{small} + {small} = {2 * small}, and one more is {total}.")
    if total == 10:
        return Teaching("pairs-to-ten", f"{a} and {b} are partners that make ten.",
                        f"Pairs to ten: {a} + {b} = 10.")
    if total > 10:
        need = 10 - big
        rest = small - need
        return Teaching(
            "make-ten", f"Make ten: how much does {big} need to make 10?",
            f"Make ten: {big} + {need} = 10, and {small} is {need} + {rest}; 10 + {rest} = {total}.")
    if small == 2:
        return Teaching("count-on", f"Start at {big} and count on two.",
                        f"Start at {big} and count on two: {big + 1}, {total}.")
    to_ten = 10 - total
    return Teaching(
        "ten-frame", f"Start from {big}: how far is {big} + {small} from 10?",
        f"{big} + {small} is {to_ten} short of 10 ({10 - to_ten} + {to_ten} = 10), so it is {total}.")


def subtraction(a: int, b: int) -> Teaching:
    diff = a - b
    if b == 0:
        return Teaching("minus-zero", "Taking away 0 leaves everything.",
                        f"Taking away 0 leaves {a}: {a} − 0 = {a}.")
    if b == a:
        return Teaching("minus-itself", "Take everything away: what is left?",
                        f"A number minus itself is 0: {a} − {b} = 0.")
    if b == 1:
        return Teaching("minus-one", f"Taking away 1 is the number before {a}.",
                        f"The number before {a} is {diff}, so {a} − 1 = {diff}.")
    if a > 10 and b > a - 10:
        down_to_ten = a - 10
        rest = b - down_to_ten
        return Teaching(
            "back-through-ten", f"Think addition: {b} + ? = {a}. Or go back to 10 first.",
            f"Think addition: {b} + {diff} = {a}. Or back through ten: {a} − {down_to_ten} = 10, "
            f"then 10 − {rest} = {diff}.")
    return Teaching("think-addition", f"Think addition: {b} + ? = {a}.",
                    f"Think addition: {b} + {diff} = {a}, so {a} − {b} = {diff}.")


# Which factor a child should lean on, easiest first: 7 × 8 uses ×8 ("×4 doubled"), not ×7.
_FACTOR_ORDER = (0, 1, 10, 2, 5, 11, 9, 4, 3, 8, 6, 12, 7)


def _times(n: int, k: int) -> tuple[str, str, str]:
    """(strategy, hint, explanation) for n × k leaning on the factor k."""
    p = n * k
    if k == 0:
        return ("times-zero", "Any number of groups of nothing is nothing.",
                f"{n} × 0 = 0: any number of groups of nothing is nothing.")
    if k == 1:
        return ("times-one", "One group of a number is the number.",
                f"One group of {n} is {n}, so {n} × 1 = {n}.")
    if k == 10:
        return "times-ten", f"×10: {n} tens.", f"{n} tens are {p}."
    if k == 2:
        return "doubles", f"×2 is a double: {n} + {n}.", f"Double {n} is {p}."
    if k == 5:
        return ("half-of-ten", f"×5 is half of ×10: start from {n} × 10.",
                f"{n} × 10 = {n * 10}, and half of that is {p}.")
    if k == 11:
        if n <= 9:
            return ("elevens", f"×11 of a single digit: write {n} twice.",
                    f"{n} × 11 = {n} × 10 + {n} = {p}.")
        return "elevens", f"×11 is ×10 plus one more {n}.", f"{n} × 10 = {n * 10}, plus {n} is {p}."
    if k == 9:
        return ("ten-minus-one", f"×9 is ×10 take away one group: start from {n} × 10.",
                f"{n} × 10 = {n * 10}, take away {n} is {p}.")
    if k == 4:
        return ("double-double", f"×4 is double, then double again: start from {n} × 2.",
                f"{n} × 2 = {2 * n}, doubled is {p}.")
    if k == 3:
        return ("double-plus-one", f"×3 is a double plus one more group: {n} × 2 + {n}.",
                f"{n} × 2 = {2 * n}, plus {n} is {p}.")
    if k == 8:
        return ("double-four", f"×8 is ×4 doubled: start from {n} × 4.",
                f"{n} × 4 = {4 * n}, doubled is {p}.")
    if k == 6:
        return ("five-plus-one", f"×6 is ×5 plus one more group: start from {n} × 5.",
                f"{n} × 5 = {5 * n}, plus {n} is {p}.")
    if k == 12:
        return ("ten-plus-two", f"×12 is ×10 plus ×2: {n} × 10 + {n} × 2.",
                f"{n} × 10 = {10 * n} and {n} × 2 = {2 * n}; together {p}.")
    return ("five-plus-two", f"×7 is ×5 plus ×2: {n} × 5 + {n} × 2.",
            f"{n} × 5 = {5 * n} and {n} × 2 = {2 * n}; together {p}.")


def multiplication(a: int, b: int) -> Teaching:
    k = min((a, b), key=_FACTOR_ORDER.index)
    n = b if k == a else a
    strategy, hint, explanation = _times(n, k)
    if a != b and k not in (0, 1):
        explanation += f" Turn-around fact: {b} × {a} = {a * b} too."
    return Teaching(strategy, hint, explanation)


def division(dividend: int, divisor: int) -> Teaching:
    q = dividend // divisor
    family = (f"Fact family: {divisor} × {q} = {dividend}, {q} × {divisor} = {dividend}, "
              f"{dividend} ÷ {divisor} = {q}" + (f", {dividend} ÷ {q} = {divisor}." if q else "."))
    if dividend == 0:
        return Teaching("zero-divided", "Share nothing equally: how many in each group?",
                        f"0 shared into any number of groups gives 0 in each. {family}")
    if divisor == 1:
        return Teaching("divide-by-one", "One group holds everything.",
                        f"{dividend} in one group is {dividend}. {family}")
    if divisor == dividend:
        return Teaching("divide-by-itself", "How many times does a number fit in itself?",
                        f"{dividend} fits in itself once. {family}")
    if divisor == 2:
        return Teaching("halving", f"÷2 is halving: what is half of {dividend}?",
                        f"Half of {dividend} is {q}. {family}")
    if divisor == 10:
        return Teaching("divide-by-ten", f"How many tens make {dividend}?",
                        f"{q} tens make {dividend}. {family}")
    return Teaching("fact-family", f"Think multiplication: {divisor} × ? = {dividend}.",
                    f"Think multiplication: {divisor} × {q} = {dividend}. {family}")
