"""Failure limits at their real sizes: failures count per address and per target, successes
never do, every refusal says when to try again."""

from __future__ import annotations

import asyncio

import pytest

from server import app_keys
from server.app import create_app
from server.failure_limits import (
    SIGN_UPS,
    WRONG_JOIN_CODES,
    WRONG_PASSWORDS_PER_ADDRESS,
    WRONG_PASSWORDS_PER_USERNAME,
    WRONG_SCREEN_KEYS,
    WRONG_STUDENT_KEYS,
)
from server.passwords import Passwords
from tests.server.conftest import FAST_HASHER, assert_error, sign_up_and_log_in
from tests.support import factories
from tests.support.live_clients import LiveClient, Refused, connect_student

# A code no room has (rooms' codes are 6 digits).
NO_SUCH_CODE = "0000000"


def assert_retry_after(resp, limit) -> None:
    assert 1 <= int(resp.headers["Retry-After"]) <= limit.per_s


async def test_wrong_passwords_are_limited_per_username_and_a_success_clears_it(client):
    teacher = await sign_up_and_log_in(client)
    wrong = {"username": teacher.username, "password": "not it"}
    for _ in range(WRONG_PASSWORDS_PER_USERNAME.amount - 1):
        await assert_error(await client.post("/api/login", json=wrong), 401, "invalid_credentials")
    right = {"username": teacher.username, "password": teacher.password}
    assert (await client.post("/api/login", json=right)).status == 200  # clears the username
    for _ in range(WRONG_PASSWORDS_PER_USERNAME.amount):
        await assert_error(await client.post("/api/login", json=wrong), 401, "invalid_credentials")
    # Past the limit even the right password is refused, before it is checked.
    resp = await client.post("/api/login", json={**right, "username": teacher.username.upper()})
    await assert_error(resp, 429, "rate_limited")
    assert_retry_after(resp, WRONG_PASSWORDS_PER_USERNAME)
    other = await sign_up_and_log_in(client)  # another username from the same address
    assert other.token


async def test_wrong_passwords_are_limited_per_address_across_workers(make_settings, make_client,
                                                                      shared_redis_url):
    """Two apps on one Redis stand for two workers: the count is shared."""
    clients = []
    for _ in range(2):
        app = create_app(make_settings(redis_url=shared_redis_url))
        app[app_keys.PASSWORDS] = Passwords(FAST_HASHER)
        clients.append(await make_client(app))
    statuses = []
    for i in range(WRONG_PASSWORDS_PER_ADDRESS.amount + 2):
        resp = await clients[i % 2].post("/api/login", json={"username": f"nobody-{i}", "password": "x"})
        statuses.append(resp.status)
    assert statuses == [401] * WRONG_PASSWORDS_PER_ADDRESS.amount + [429, 429]
    assert_retry_after(resp, WRONG_PASSWORDS_PER_ADDRESS)


async def test_sign_ups_are_limited_per_address(client):
    import uuid

    statuses = []
    for _ in range(SIGN_UPS.amount + 1):
        name = f"t-{uuid.uuid4().hex[:12]}"
        resp = await client.post("/api/teachers", json={
            "username": name, "email": f"{name}@school.example", "password": "long enough pw"})
        statuses.append(resp.status)
    assert statuses == [201] * SIGN_UPS.amount + [429]
    assert_retry_after(resp, SIGN_UPS)


async def test_student_keys_count_failures_only(client, db):
    teacher, _ = await factories.make_teacher_with_token(db)
    _, key = await factories.make_roster_student(db, teacher)

    async def sign_in(student_key: str):
        return await client.post("/api/students/session", json={"student_key": student_key})

    for _ in range(3):  # a whole school signing in from one address costs nothing
        assert (await sign_in(key)).status == 201
    wrong = await asyncio.gather(*(sign_in("WRONG123") for _ in range(WRONG_STUDENT_KEYS.amount - 1)))
    assert {r.status for r in wrong} == {401}
    assert (await sign_in(key.lower())).status == 201  # successes still pass, and are not counted
    await assert_error(await sign_in("WRONG123"), 401, "invalid_student_key")  # the limit's last
    resp = await sign_in(key)
    await assert_error(resp, 429, "rate_limited")
    assert_retry_after(resp, WRONG_STUDENT_KEYS)


@pytest.fixture
async def rooms(live_url, db):
    teacher, _ = await factories.make_teacher_with_token(db)
    made = [await factories.make_room(db, teacher, question_count=1, time_limit_ms=30_000)
            for _ in range(3)]
    return teacher, made


async def guess(live_url: str, code: str, **headers: str) -> Refused:
    with pytest.raises(Refused) as refused:
        await LiveClient(live_url, "/play").connect({"code": code, "nickname": "Guess"},
                                                    headers=headers)
    return refused.value


async def test_wrong_join_codes_are_limited_per_address_and_classes_still_join(live_url, rooms):
    _, (joined_room, other_room, _) = rooms
    clients = []
    try:
        # A class joins, a few mistype the code: successes are free, wrong codes count.
        clients += await asyncio.gather(*(connect_student(live_url, joined_room["code"], f"S{i}")
                                          for i in range(40)))
        first = await asyncio.gather(*(guess(live_url, NO_SUCH_CODE)
                                       for _ in range(WRONG_JOIN_CODES.amount - 1)))
        assert {r.code for r in first} == {"room_not_found"}
        # The failure that reaches the limit is answered rate_limited, with a retry hint.
        last = await guess(live_url, NO_SUCH_CODE)
        assert last.code == "rate_limited" and 1 <= last.data["retry_after_s"] <= 60
        # Past the limit a code is not even tried, unless this address joined it lately.
        refused = await guess(live_url, other_room["code"])
        assert refused.code == "rate_limited" and refused.data["retry_after_s"] >= 1
        clients.append(await connect_student(live_url, joined_room["code"], "Late"))
        # Rejoin tokens are never limited.
        before = clients[0].last("joined")
        await clients[0].disconnect()
        back = await LiveClient(live_url, "/play").connect({"rejoin_token": before["rejoin_token"]})
        clients.append(back)
        assert (await back.wait_for("joined"))["player_id"] == before["player_id"]
    finally:
        for client in clients:
            if client.sio.connected:
                await client.disconnect()


async def test_wrong_screen_keys_are_limited_and_the_right_key_still_connects(live_url, rooms):
    _, (room, _, _) = rooms
    codes = []
    for _ in range(WRONG_SCREEN_KEYS.amount + 1):
        with pytest.raises(Refused) as refused:
            await LiveClient(live_url, "/screen").connect({"code": room["code"], "screen_key": "nope"})
        codes.append(refused.value.code)
    assert codes == ["room_not_found"] * (WRONG_SCREEN_KEYS.amount - 1) + ["rate_limited"] * 2
    screen = await LiveClient(live_url, "/screen").connect({"code": room["code"],
                                                            "screen_key": room["screen_key"]})
    await screen.wait_for("state")
    await screen.disconnect()
