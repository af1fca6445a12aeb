"""The server's collector policy: survivors of a full collection are frozen, garbage cycles
made afterwards are still collected, and the periodic unfreeze and uninstall undo it."""

import asyncio
import gc
import weakref

from server.gc_policy import YOUNG_THRESHOLD, CollectorPolicy


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def make_cycle() -> weakref.ref:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_survivors_of_a_full_collection_are_frozen_and_new_cycles_still_collected():
    before = gc.get_threshold()
    policy = CollectorPolicy()
    policy.install()
    try:
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        gc.collect()  # what survives it (this test's own objects too) is frozen
        assert policy.full_collections >= 1 and gc.get_freeze_count() > 0
        dead = make_cycle()  # made after the freeze: a full collection still finds it
        gc.collect()
        assert dead() is None
    finally:
        policy.uninstall()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    assert policy.full_collections >= 2


async def test_the_app_context_unfreezes_periodically_and_restores_the_defaults():
    before = gc.get_threshold()
    policy = CollectorPolicy(unfreeze_every_s=0.05)
    context = policy.app_ctx(None)
    await anext(context)
    try:
        gc.collect()
        assert gc.get_freeze_count() > 0
        for _ in range(100):  # the periodic unfreeze empties the permanent generation
            await asyncio.sleep(0.01)
            if gc.get_freeze_count() == 0:
                break
        assert gc.get_freeze_count() == 0
    finally:
        await anext(context, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
