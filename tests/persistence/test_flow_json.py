"""persistence/flow_json.py writes the JSON values json.dumps would give."""

import json
import uuid

import asyncpg

from learning.flow_rules import OperationTotals
from persistence import flow_json


def same_value(text: str, expected) -> None:
    assert json.loads(text) == expected
    assert json.loads(text) == json.loads(json.dumps(expected))


def test_int_map_matches_json_dumps_including_awkward_keys():
    same_value(flow_json.int_map({"not_started": 0, "mastered": 12}),
               {"not_started": 0, "mastered": 12})
    same_value(flow_json.int_map({'say "hi"\\': 3, "é×": 4}), {'say "hi"\\': 3, "é×": 4})
    same_value(flow_json.int_map({}), {})


def test_int_map_falls_back_for_values_it_does_not_expect():
    odd = {"a": True, "b": 1.5, "c": None}
    assert json.loads(flow_json.int_map(odd)) == odd


def test_recent_attempts_matches_json_dumps():
    entries = [{"is_correct": True, "response_time": 850, "timestamp": "2026-03-02T09:00:00"},
               {"is_correct": False, "response_time": 9000,
                "timestamp": "2026-03-02T09:00:00.050000"}]
    same_value(flow_json.recent_attempts(entries), entries)
    same_value(flow_json.recent_attempts([]), [])


def test_recent_attempts_falls_back_for_other_shapes():
    odd = [{"is_correct": 1, "response_time": 850, "timestamp": "x"}, {"other": [1, 2]}]
    assert json.loads(flow_json.recent_attempts(odd)) == odd


def test_performance_by_operation_matches_as_json():
    totals = {"×": OperationTotals(7, 6, 12345), "+": OperationTotals(3, 3, 3000),
              "÷": OperationTotals(0, 0, 0), "-": OperationTotals(3, 2, 2)}
    same_value(flow_json.performance_by_operation(totals),
               {op: t.as_json() for op, t in totals.items()})


def test_answer_payload_matches_a_dict_dumped():
    ids = {name: uuid.uuid4() for name in ("attempt_id", "answer_id", "question_id", "session_id")}
    fields = {**ids, "is_correct": False, "response_time": 4200, "attempt_number": 3,
              "mastery": "0.60", "fluency_level": "fluency_6s", "experience": 27}
    # The ids appear as str(uuid) does: 36 characters, lower case, with hyphens.
    same_value(flow_json.answer_payload(**fields),
               {**fields, **{name: str(value) for name, value in ids.items()}})


async def test_answer_payload_takes_the_uuids_asyncpg_returns(database_url):
    conn = await asyncpg.connect(database_url)
    try:
        from_db = await conn.fetchval("SELECT gen_random_uuid()")
    finally:
        await conn.close()
    assert type(from_db) is not uuid.UUID   # asyncpg's own UUID type: the case under test
    text = flow_json.answer_payload(
        attempt_id=from_db, answer_id=uuid.uuid4(), question_id=from_db, session_id=from_db,
        is_correct=True, response_time=1, attempt_number=1, mastery="1.00",
        fluency_level="mastered", experience=15)
    assert json.loads(text)["question_id"] == str(from_db)
