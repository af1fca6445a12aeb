"""POST/GET /api/rooms: validation, join codes, URLs, ownership."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from tests.server.conftest import assert_error
from tests.support import factories

VALID = {"operation": "×", "question_count": 10, "time_limit_ms": 20000}


async def test_create_room_returns_code_key_and_the_web_pages_urls(client, teacher, db):
    resp = await client.post("/api/rooms", json={**VALID, "title": "  Times  tables ",
                                                 "auto_advance_ms": 5000}, headers=teacher.headers)
    assert resp.status == 201, await resp.text()
    room = await resp.json()
    assert re.fullmatch(r"\d{6}", room["code"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}", room["screen_key"])
    base = f"http://{client.host}:{client.port}"
    assert room["join_url"] == f"{base}/join?code={room['code']}"
    assert room["screen_url"] == f"{base}/screen?code={room['code']}&key={room['screen_key']}"
    assert (room["title"], room["status"], room["auto_advance_ms"]) == ("Times tables", "lobby", 5000)
    assert (room["min_operand"], room["max_operand"]) == (0, 10)  # the default fact range
    async with db.engine.connect() as conn:
        stored = (await conn.execute(text(
            "SELECT teacher_id, code, operation, question_count, time_limit_ms FROM rooms "
            "WHERE id = :r"), {"r": room["room_id"]})).one()
    assert (str(stored.teacher_id), stored.code, stored.operation) == (teacher.user_id, room["code"], "×")
    assert (stored.question_count, stored.time_limit_ms) == (10, 20000)


async def test_urls_use_the_configured_public_url(make_client):
    client = await make_client(public_url="https://rally.school.example/")
    from tests.server.conftest import sign_up_and_log_in
    teacher = await sign_up_and_log_in(client)
    room = await (await client.post("/api/rooms", json=VALID, headers=teacher.headers)).json()
    assert room["join_url"] == f"https://rally.school.example/join?code={room['code']}"
    assert room["screen_url"].startswith("https://rally.school.example/screen?code=")


async def test_create_room_with_a_track(client, teacher, db):
    track_id, _ = await factories.make_track(db, "×", size=2)
    resp = await client.post("/api/rooms", json={**VALID, "track_id": str(track_id)},
                             headers=teacher.headers)
    assert resp.status == 201
    room = await resp.json()
    assert room["track_id"] == str(track_id) and room["min_operand"] is None
    resp = await client.post("/api/rooms", json={**VALID, "operation": "+", "track_id": str(track_id)},
                             headers=teacher.headers)
    await assert_error(resp, 400, "invalid_payload")


async def test_personal_rounds_need_a_track(client, teacher, db):
    resp = await client.post("/api/rooms", json={**VALID, "personal": True}, headers=teacher.headers)
    body = await assert_error(resp, 400, "invalid_payload")
    assert "track_id" in body["error"]["message"] and "personal" in body["error"]["message"]
    track_id, _ = await factories.make_track(db, "×", size=2)
    resp = await client.post("/api/rooms", json={**VALID, "personal": True, "track_id": str(track_id)},
                             headers=teacher.headers)
    assert resp.status == 201, await resp.text()
    room = await resp.json()
    assert room["personal"] is True
    shown = await (await client.get(f"/api/rooms/{room['room_id']}", headers=teacher.headers)).json()
    assert shown["personal"] is True
    plain = await (await client.post("/api/rooms", json=VALID, headers=teacher.headers)).json()
    assert plain["personal"] is False
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT personal_rounds FROM rooms WHERE id = :r"),
                                 {"r": room["room_id"]})
    resp = await client.post("/api/rooms", json={**VALID, "personal": "yes"}, headers=teacher.headers)
    await assert_error(resp, 400, "invalid_payload")


@pytest.mark.parametrize("change", [
    {"operation": "x"}, {"operation": "*"}, {"question_count": 0}, {"question_count": 101},
    {"time_limit_ms": 2999}, {"time_limit_ms": 120001}, {"time_limit_ms": "20000"},
    {"min_operand": 5, "max_operand": 4}, {"min_operand": -1}, {"max_operand": 101},
    {"min_operand": 11}, {"operation": "÷", "min_operand": 0, "max_operand": 0},
    {"track_id": "not-a-uuid"}, {"track_id": str(uuid.uuid4())},
    {"auto_advance_ms": 10}, {"title": "a" * 101}, {"title": "bad\x00title"}, {"colour": "red"},
    {"question_count": None}, {"question_count": 5.5},
])
async def test_create_room_rejects_invalid_settings(client, teacher, change):
    body = {**VALID, **change}
    if change.get("question_count", 1) is None:
        del body["question_count"]
    resp = await client.post("/api/rooms", json=body, headers=teacher.headers)
    await assert_error(resp, 400, "invalid_payload")


async def test_rooms_need_a_signed_in_teacher(client):
    await assert_error(await client.post("/api/rooms", json=VALID), 401, "unauthorized")
    await assert_error(await client.get("/api/rooms"), 401, "unauthorized")
    await assert_error(await client.get(f"/api/rooms/{uuid.uuid4()}"), 401, "unauthorized")


async def test_codes_of_open_rooms_are_distinct(client, teacher):
    codes = set()
    for _ in range(25):
        resp = await client.post("/api/rooms", json=VALID, headers=teacher.headers)
        codes.add((await resp.json())["code"])
    assert len(codes) == 25


async def test_list_and_show_only_the_teachers_own_rooms(client, teacher, other_teacher):
    mine = await (await client.post("/api/rooms", json=VALID, headers=teacher.headers)).json()
    theirs = await (await client.post("/api/rooms", json=VALID,
                                      headers=other_teacher.headers)).json()
    listed = await (await client.get("/api/rooms", headers=teacher.headers)).json()
    ids = [room["room_id"] for room in listed["rooms"]]
    assert mine["room_id"] in ids and theirs["room_id"] not in ids
    resp = await client.get(f"/api/rooms/{mine['room_id']}", headers=teacher.headers)
    assert resp.status == 200 and await resp.json() == mine
    await assert_error(await client.get(f"/api/rooms/{theirs['room_id']}", headers=teacher.headers),
                       403, "forbidden")
    await assert_error(await client.get(f"/api/rooms/{uuid.uuid4()}", headers=teacher.headers),
                       404, "not_found")
    await assert_error(await client.get("/api/rooms/not-a-uuid", headers=teacher.headers),
                       404, "not_found")


async def test_open_rooms_per_teacher_are_capped(client, teacher, db):
    from server.api_rooms import MAX_OPEN_ROOMS_PER_DAY
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO rooms (teacher_id, code, operation, question_count, time_limit_ms, "
            "screen_key) SELECT :t, c, '+', 5, 5000, 'k' FROM (SELECT (900000 + i)::text AS c "
            "FROM generate_series(1, 1000) i) codes WHERE NOT EXISTS (SELECT 1 FROM rooms r "
            "WHERE r.code = codes.c AND r.status <> 'finished') LIMIT :n"),
            {"t": teacher.user_id, "n": MAX_OPEN_ROOMS_PER_DAY})
    refused = await client.post("/api/rooms", json=VALID, headers=teacher.headers)
    await assert_error(refused, 429, "too_many_rooms")
    # The oldest open room was made just now: it stops counting in a day.
    assert 23 * 3600 < int(refused.headers["Retry-After"]) <= 24 * 3600
    async with db.sessions() as session, session.begin():
        await session.execute(text(
            "UPDATE rooms SET status = 'finished' WHERE id = (SELECT id FROM rooms "
            "WHERE teacher_id = :t AND status <> 'finished' LIMIT 1)"),
            {"t": teacher.user_id})
    assert (await client.post("/api/rooms", json=VALID, headers=teacher.headers)).status == 201


async def test_a_room_in_teams_and_for_a_class(client, teacher, other_teacher, db):
    resp = await client.post("/api/classes", json={"name": "4B"}, headers=teacher.headers)
    class_id = (await resp.json())["class_id"]
    resp = await client.post("/api/rooms", json={**VALID, "teams": 4, "class_id": class_id},
                             headers=teacher.headers)
    assert resp.status == 201, await resp.text()
    room = await resp.json()
    assert (room["teams"], room["team_names"], room["class_id"]) == (
        4, ["Red", "Blue", "Green", "Yellow"], class_id)
    shown = await (await client.get(f"/api/rooms/{room['room_id']}", headers=teacher.headers)).json()
    assert shown["team_names"] == room["team_names"]
    async with db.engine.connect() as conn:
        stored = (await conn.execute(text(
            "SELECT team_index, name FROM room_teams WHERE room_id = :r ORDER BY team_index"),
            {"r": room["room_id"]})).all()
    assert [tuple(r) for r in stored] == [(0, "Red"), (1, "Blue"), (2, "Green"), (3, "Yellow")]
    plain = await (await client.post("/api/rooms", json=VALID, headers=teacher.headers)).json()
    assert (plain["teams"], plain["team_names"], plain["class_id"]) == (None, [], None)
    for teams in (1, 9, "2"):
        resp = await client.post("/api/rooms", json={**VALID, "teams": teams}, headers=teacher.headers)
        await assert_error(resp, 400, "invalid_payload")
    resp = await client.post("/api/rooms", json={**VALID, "class_id": class_id},
                             headers=other_teacher.headers)
    body = await assert_error(resp, 400, "invalid_payload")
    assert "class_id" in body["error"]["message"]
