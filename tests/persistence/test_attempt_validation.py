"""What the answer writer checks before an attempt joins a batch, and the ids it makes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from persistence.answer_flow import AttemptIn, AttemptRejected, validate_attempt


def attempt() -> AttemptIn:
    return AttemptIn(attempt_id=uuid.uuid4(), user_id=uuid.uuid4(), session_id=uuid.uuid4(),
                     question_id=uuid.uuid4(), raw_input="12", user_answer=Decimal(12),
                     correct_answer=Decimal(12), response_time_ms=1500,
                     answered_at=dt.datetime(2026, 3, 2, 9, 0))


@pytest.mark.parametrize("change", [
    {"user_answer": Decimal("1.005")}, {"correct_answer": Decimal("1e9")},
    {"response_time_ms": -1}, {"answered_at": dt.datetime.now(dt.UTC)},
    {"input_method": ""}, {"input_method": "x" * 21}, {"hints_used": -1},
    {"confidence_rating": 6}, {"points": 2**31}, {"raw_input": "9" * 201},
    {"device_info": "phone"}, {"raw_input": "1\x002"},
])
def test_validation_rejects_out_of_range_fields(change):
    import dataclasses

    with pytest.raises(AttemptRejected) as info:
        validate_attempt(dataclasses.replace(attempt(), **change))
    assert info.value.code == "invalid_attempt"


def test_validation_accepts_a_plain_attempt():
    validate_attempt(attempt())


def test_time_ordered_uuids_are_version_7_and_sort_by_time():
    import time

    from persistence.ids import time_ordered_uuid

    first = time_ordered_uuid()
    time.sleep(0.002)
    second = time_ordered_uuid()
    assert first.version == 7 and first.variant == uuid.RFC_4122
    assert first < second
    assert abs((first.int >> 80) - time.time_ns() // 1_000_000) < 5000


def test_time_ordered_uuids_in_bulk_are_distinct_version_7_and_dated_now():
    import time

    from persistence.ids import time_ordered_ints, time_ordered_uuids

    made = time_ordered_uuids(1000)
    assert len(set(made)) == 1000
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in made)
    assert all(abs((u.int >> 80) - time.time_ns() // 1_000_000) < 5000 for u in made)
    assert all(uuid.UUID(int=n).version == 7 for n in time_ordered_ints(10))
