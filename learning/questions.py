"""Which facts a game asks: an operation over an operand range (or a track's facts, loaded by
the caller), without repeats if possible.

Subtraction keeps the larger operand first (no negative answers); division is built from its
quotient (dividend = divisor × quotient), so divisors are never 0 and quotients are whole.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

OPERATIONS = ("+", "-", "×", "÷")
DEFAULT_RANGE = (0, 10)


@dataclass(frozen=True)
class Fact:
    operand1: int
    operand2: int
    operation: str
    correct_answer: Decimal

    @property
    def prompt(self) -> str:
        return f"{self.operand1} {self.operation} {self.operand2}"


def make_fact(a: int, b: int, operation: str) -> Fact:
    if operation == "+":
        return Fact(a, b, operation, Decimal(a + b))
    if operation == "-":
        a, b = max(a, b), min(a, b)
        return Fact(a, b, operation, Decimal(a - b))
    if operation == "×":
        return Fact(a, b, operation, Decimal(a * b))
    if operation == "÷":
        # (a, b) = (quotient, divisor): the dividend is their product.
        if b == 0:
            raise ValueError("a divisor is never 0")
        return Fact(a * b, b, operation, Decimal(a))
    raise ValueError(f"unknown operation {operation!r}")


def fact_pool(operation: str, min_operand: int | None, max_operand: int | None) -> list[Fact]:
    low = DEFAULT_RANGE[0] if min_operand is None else min_operand
    high = DEFAULT_RANGE[1] if max_operand is None else max_operand
    if low > high:
        low, high = high, low
    divisors = [b for b in range(low, high + 1) if b != 0] if operation == "÷" else None
    pool: dict[tuple[int, int], Fact] = {}
    for a in range(low, high + 1):
        for b in divisors if divisors is not None else range(low, high + 1):
            fact = make_fact(a, b, operation)
            pool[(fact.operand1, fact.operand2)] = fact
    if not pool:
        raise ValueError("the operand range has no facts for this operation")
    return list(pool.values())


def choose_facts(operation: str, min_operand: int | None, max_operand: int | None, count: int,
                 rng: random.Random) -> list[Fact]:
    """`count` facts of the range; each once before any repeats, never the same twice running."""
    return choose_from(fact_pool(operation, min_operand, max_operand), count, rng)


def choose_from(pool: list[T], count: int, rng: random.Random) -> list[T]:
    """`count` items of `pool`; each once before any repeats, never the same twice running."""
    if not pool:
        raise ValueError("there is nothing to choose from")
    chosen: list[T] = []
    while len(chosen) < count:
        batch = pool[:]
        rng.shuffle(batch)
        if chosen and len(batch) > 1 and batch[0] == chosen[-1]:
            batch[0], batch[-1] = batch[-1], batch[0]
        chosen.extend(batch[: count - len(chosen)])
    return chosen
