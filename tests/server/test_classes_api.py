"""/api/classes…: rosters with student keys, renames, removal, export and deletion."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from sqlalchemy import text

from persistence.accounts import student_for_key
from persistence.rosters import KEY_ALPHABET, add_students, create_class
from tests.server.conftest import assert_error
from tests.support import factories, room_factories


def _students(*names) -> dict:
    return {"students": [{"display_name": name} for name in names]}


async def _class(client, teacher, name="4B", students=("Ada", "Ben")) -> tuple[dict, list[dict]]:
    resp = await client.post("/api/classes", json={"name": name}, headers=teacher.headers)
    assert resp.status == 201, await resp.text()
    record = await resp.json()
    resp = await client.post(f"/api/classes/{record['class_id']}/students",
                             json=_students(*students), headers=teacher.headers)
    assert resp.status == 201, await resp.text()
    return record, (await resp.json())["students"]


async def test_students_get_pseudonymous_users_and_unambiguous_keys(client, teacher, db):
    record, students = await _class(client, teacher, students=("  Ada  Lovelace ", "Ben"))
    assert [s["display_name"] for s in students] == ["Ada Lovelace", "Ben"]
    for student in students:
        assert re.fullmatch(f"[{KEY_ALPHABET}]{{8}}", student["student_key"])
        assert not set("01OI") & set(student["student_key"])
        found = await student_for_key(db, student["student_key"].lower())
        assert found is not None and str(found.user_id) == student["user_id"]
        assert str(found.class_id) == record["class_id"] and str(found.teacher_id) == teacher.user_id
    async with db.engine.connect() as conn:
        users = (await conn.execute(text(
            "SELECT role, email, username FROM users WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(s["user_id"]) for s in students]})).all()
    assert {(u.role, u.email) for u in users} == {("student", None)}
    assert all(u.username.startswith("student:") for u in users)


async def test_roster_lists_keys_for_reprinting(client, teacher):
    record, students = await _class(client, teacher, students=("Zoe", "ada", "Ben"))
    resp = await client.get(f"/api/classes/{record['class_id']}/students", headers=teacher.headers)
    listed = (await resp.json())["students"]
    assert [s["display_name"] for s in listed] == ["ada", "Ben", "Zoe"]
    assert {s["student_key"] for s in listed} == {s["student_key"] for s in students}
    shown = await (await client.get(f"/api/classes/{record['class_id']}",
                                    headers=teacher.headers)).json()
    assert shown["name"] == "4B" and shown["student_count"] == 3 and shown["students"] == listed
    classes = (await (await client.get("/api/classes", headers=teacher.headers)).json())["classes"]
    assert [(c["class_id"], c["student_count"]) for c in classes] == [(record["class_id"], 3)]


@pytest.mark.parametrize("names", [
    [""], ["   "], ["x" * 21], ["tab\there"], ["new\nline"], ["bell\x07"], ["rtl\u202eoverride"],
    [], ["ok"] * 101, [3], {"students": "Ada"}, {"students": ["Ada"]},
    {"students": [{"display_name": "Ada", "key": "ABCDEFGH"}]}, {"display_names": ["Ada"]},
])
async def test_invalid_display_names_are_refused(client, teacher, names):
    record, _ = await _class(client, teacher, students=("Ada",))
    resp = await client.post(f"/api/classes/{record['class_id']}/students",
                             json=names if isinstance(names, dict) else _students(*names),
                             headers=teacher.headers)
    await assert_error(resp, 400, "invalid_payload")


async def test_display_names_are_unique_per_class_case_insensitively(client, teacher):
    record, _ = await _class(client, teacher, students=("Ada", "Ben"))
    url = f"/api/classes/{record['class_id']}/students"
    await assert_error(await client.post(url, json=_students("Cy", "ADA"),
                                         headers=teacher.headers), 409, "name_taken")
    await assert_error(await client.post(url, json=_students("Cy", "cy"),
                                         headers=teacher.headers), 409, "name_taken")
    listed = (await (await client.get(url, headers=teacher.headers)).json())["students"]
    assert len(listed) == 2  # all or nothing: Cy was not added
    # Another class may have its own Ada (_class asserts the 201).
    await _class(client, teacher, name="4C", students=("Ada",))


async def test_rename_student(client, teacher):
    record, students = await _class(client, teacher)
    ada = students[0]
    url = f"/api/classes/{record['class_id']}/students/{ada['user_id']}"
    resp = await client.patch(url, json={"display_name": " Ada L. "}, headers=teacher.headers)
    assert resp.status == 200
    renamed = await resp.json()
    assert renamed["display_name"] == "Ada L." and renamed["student_key"] == ada["student_key"]
    resp = await client.patch(url, json={"display_name": "ada l."}, headers=teacher.headers)
    assert resp.status == 200  # changing only the case of one's own name is fine
    await assert_error(await client.patch(url, json={"display_name": "BEN"}, headers=teacher.headers),
                       409, "name_taken")
    await assert_error(await client.patch(url, json={"display_name": ""}, headers=teacher.headers),
                       400, "invalid_payload")
    await assert_error(await client.patch(url, json={"name": "x"}, headers=teacher.headers),
                       400, "invalid_payload")
    missing = f"/api/classes/{record['class_id']}/students/{uuid.uuid4()}"
    await assert_error(await client.patch(missing, json={"display_name": "Q"},
                                          headers=teacher.headers), 404, "not_found")


async def _played(db, student_user_id: uuid.UUID, teacher_id: uuid.UUID):
    """A game the student played: session, attempt, and the derived rows of the seed's flow."""
    _, facts = await factories.make_track(db, "+", size=1)
    room_id = await room_factories.make_room(db, teacher_id, operation="+")
    player = await room_factories.add_player(db, room_id, "Ada", 0, user_id=student_user_id)
    await room_factories.add_room_question(db, room_id, 0, facts[0])
    await room_factories.add_attempt(db, player, facts[0], 0, answer="2", response_time=1500,
                                     points=875)
    async with db.sessions() as session, session.begin():
        params = {"u": student_user_id, "q": facts[0]["id"]}
        await session.execute(text(
            "INSERT INTO question_progress (question_id, user_id, total_attempts, correct_attempts) "
            "VALUES (:q, :u, 1, 1)"), params)
        await session.execute(text(
            "INSERT INTO user_statistics (user_id, total_questions_answered) VALUES (:u, 1)"), params)
        await session.execute(text(
            "INSERT INTO daily_practice_summaries (user_id, date, questions_answered) "
            "VALUES (:u, CURRENT_DATE, 1)"), params)
        await session.execute(text(
            "INSERT INTO learning_events (type, user_id, payload) VALUES ('answer', :u, '{}')"), params)
    return room_id


async def _rows_of(db, user_id) -> dict[str, int]:
    tables = ("users", "class_students", "practice_sessions", "answer_attempts", "room_players",
              "question_progress", "user_statistics", "daily_practice_summaries", "learning_events")
    counts = {}
    async with db.engine.connect() as conn:
        for table in tables:
            column = "id" if table == "users" else "user_id"
            counts[table] = await conn.scalar(text(
                f"SELECT count(*) FROM {table} WHERE {column} = :u"), {"u": user_id})
    return counts


async def test_export_holds_every_students_attempts_and_progress(client, teacher, db):
    record, students = await _class(client, teacher)
    ada = students[0]
    await _played(db, uuid.UUID(ada["user_id"]), uuid.UUID(teacher.user_id))
    resp = await client.get(f"/api/classes/{record['class_id']}/export", headers=teacher.headers)
    assert resp.status == 200
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="mathrally-class-')
    export = await resp.json()
    assert export["class"]["class_id"] == record["class_id"]
    by_name = {s["display_name"]: s for s in export["students"]}
    exported = by_name["Ada"]
    assert exported["student_key"] == ada["student_key"]
    assert len(exported["attempts"]) == 1
    assert exported["attempts"][0]["response_time"] == 1500 and exported["attempts"][0]["points"] == 875
    assert exported["attempts"][0]["is_correct"] is True
    assert len(exported["question_progress"]) == 1 and len(exported["sessions"]) == 1
    assert exported["statistics"]["total_questions_answered"] == 1
    assert len(exported["daily_summaries"]) == 1 and len(exported["learning_events"]) == 1
    assert by_name["Ben"]["attempts"] == [] and by_name["Ben"]["statistics"] is None


async def test_removing_a_student_erases_their_data(client, teacher, db):
    record, students = await _class(client, teacher)
    ada, ben = (uuid.UUID(s["user_id"]) for s in students)
    await _played(db, ada, uuid.UUID(teacher.user_id))
    await _played(db, ben, uuid.UUID(teacher.user_id))
    url = f"/api/classes/{record['class_id']}/students/{ada}"
    assert (await client.delete(url, headers=teacher.headers)).status == 204
    assert set((await _rows_of(db, ada)).values()) == {0}
    assert set((await _rows_of(db, ben)).values()) == {1}
    await assert_error(await client.delete(url, headers=teacher.headers), 404, "not_found")
    assert await student_for_key(db, students[0]["student_key"]) is None


async def test_deleting_a_class_erases_its_students_data(client, teacher, db):
    record, students = await _class(client, teacher)
    _, kept_students = await _class(client, teacher, name="keep", students=("Cy",))
    ids = [uuid.UUID(s["user_id"]) for s in students]
    cy = uuid.UUID(kept_students[0]["user_id"])
    for user_id in (*ids, cy):
        await _played(db, user_id, uuid.UUID(teacher.user_id))
    url = f"/api/classes/{record['class_id']}"
    assert (await client.delete(url, headers=teacher.headers)).status == 204
    for user_id in ids:
        assert set((await _rows_of(db, user_id)).values()) == {0}
    assert set((await _rows_of(db, cy)).values()) == {1}
    await assert_error(await client.get(url, headers=teacher.headers), 404, "not_found")
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM users WHERE id = :t"),
                                 {"t": teacher.user_id}) == 1


async def test_rename_class_and_validation(client, teacher):
    record, _ = await _class(client, teacher)
    url = f"/api/classes/{record['class_id']}"
    resp = await client.patch(url, json={"name": "  Year 4 Blue "}, headers=teacher.headers)
    assert resp.status == 200 and (await resp.json())["name"] == "Year 4 Blue"
    for body in ({"name": ""}, {"name": "x" * 101}, {"name": 4}, {}, {"name": "a", "extra": 1}):
        await assert_error(await client.patch(url, json=body, headers=teacher.headers),
                           400, "invalid_payload")
        await assert_error(await client.post("/api/classes", json=body, headers=teacher.headers),
                           400, "invalid_payload")


async def test_a_teacher_cannot_touch_another_teachers_class(client, teacher, other_teacher):
    record, students = await _class(client, teacher)
    base = f"/api/classes/{record['class_id']}"
    student = f"{base}/students/{students[0]['user_id']}"
    attempts = [
        ("get", base, None), ("patch", base, {"name": "x"}), ("delete", base, None),
        ("get", f"{base}/export", None), ("get", f"{base}/students", None),
        ("post", f"{base}/students", _students("Eve")),
        ("patch", student, {"display_name": "Eve"}), ("delete", student, None),
    ]
    for method, url, body in attempts:
        resp = await client.request(method, url, json=body, headers=other_teacher.headers)
        await assert_error(resp, 403, "forbidden")
        await assert_error(await client.request(method, url, json=body), 401, "unauthorized")
    theirs = (await (await client.get("/api/classes", headers=other_teacher.headers)).json())["classes"]
    assert theirs == []
    listed = await (await client.get(f"{base}/students", headers=teacher.headers)).json()
    assert len(listed["students"]) == 2  # nothing changed
    await assert_error(await client.get(f"/api/classes/{uuid.uuid4()}", headers=teacher.headers),
                       404, "not_found")
    await assert_error(await client.get("/api/classes/nope", headers=teacher.headers),
                       404, "not_found")


async def test_a_key_collision_is_retried(db):
    teacher = await factories.make_user(db, role="teacher")
    record = await create_class(db, teacher, "keys")
    keys = iter(["AAAAAAAA", "AAAAAAAA", "BBBBBBBB"])
    first, second = await add_students(db, record.id, ["One", "Two"], make_key=lambda: next(keys))
    assert (first.student_key, second.student_key) == ("AAAAAAAA", "BBBBBBBB")


async def test_concurrent_additions_of_one_name_add_it_once(client, teacher):
    record, _ = await _class(client, teacher, students=("Ada",))
    url = f"/api/classes/{record['class_id']}/students"
    responses = await asyncio.gather(*(client.post(url, json=_students("Sam"), headers=teacher.headers)
                                       for _ in range(4)))
    assert sorted(r.status for r in responses) == [201, 409, 409, 409]
    listed = (await (await client.get(url, headers=teacher.headers)).json())["students"]
    assert [s["display_name"] for s in listed] == ["Ada", "Sam"]
