"""Teacher sign-up, login, logout, token expiry and revocation (limits: test_failure_limits.py)."""

from __future__ import annotations

import uuid

from argon2 import PasswordHasher
from sqlalchemy import text

from server import app_keys
from server.app import create_app
from server.auth import TOKEN_COOKIE
from server.passwords import Passwords
from tests.server.conftest import assert_error, sign_up_and_log_in


def _new_teacher(**overrides) -> dict:
    name = f"t-{uuid.uuid4().hex[:12]}"
    return {"username": name, "email": f"{name}@school.example", "password": "long enough pw",
            **overrides}


async def test_sign_up_stores_an_argon2id_hash_and_a_teacher_role(client, db):
    body = _new_teacher(username=f"Ms-{uuid.uuid4().hex[:8]}")
    resp = await client.post("/api/teachers", json=body)
    assert resp.status == 201
    user_id = (await resp.json())["user_id"]
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT u.username, u.email, u.role, a.password_hash FROM users u "
            "JOIN teacher_accounts a ON a.user_id = u.id WHERE u.id = :u"), {"u": user_id})).one()
    assert row.username == body["username"].lower() and row.role == "teacher"
    assert row.email == body["email"].lower()
    assert row.password_hash.startswith("$argon2id$") and body["password"] not in row.password_hash


async def test_sign_up_refuses_taken_names_and_emails(client):
    body = _new_teacher()
    assert (await client.post("/api/teachers", json=body)).status == 201
    await assert_error(await client.post("/api/teachers", json={**body, "email": "x" + body["email"]}),
                       409, "username_taken")
    upper = body["username"].upper()  # usernames are case-insensitive
    await assert_error(await client.post("/api/teachers", json={**body, "username": upper + "x"}),
                       409, "email_taken")
    await assert_error(await client.post("/api/teachers", json={**body, "username": upper,
                                                                "email": "y" + body["email"]}),
                       409, "username_taken")


async def test_sign_up_validates_every_field(client):
    cases = [
        _new_teacher(username="ab"),
        _new_teacher(username="has space"),
        _new_teacher(email="not-an-email"),
        _new_teacher(password="short"),
        _new_teacher(password=12345678),
        {**_new_teacher(), "role": "admin"},
        {"username": "abc", "password": "long enough pw"},
    ]
    for body in cases:
        await assert_error(await client.post("/api/teachers", json=body), 400, "invalid_payload")
    for raw in (b"{not json", b"", b"[1, 2]", b"\xff\xfe"):
        resp = await client.post("/api/teachers", data=raw,
                                 headers={"Content-Type": "application/json"})
        await assert_error(resp, 400, "invalid_payload")


async def test_oversized_body_is_refused(client):
    resp = await client.post("/api/teachers", data=b"x" * (65 * 1024),
                             headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert (await resp.json())["error"]["code"]


async def test_login_returns_a_token_that_authenticates(client, teacher):
    resp = await client.get("/api/rooms", headers=teacher.headers)
    assert resp.status == 200
    await assert_error(await client.get("/api/rooms"), 401, "unauthorized")
    await assert_error(await client.get("/api/rooms", headers={"Authorization": "Bearer nope"}),
                       401, "unauthorized")


async def test_login_sets_an_httponly_strict_cookie_that_authenticates(client, teacher):
    resp = await client.post("/api/login", json={"username": teacher.username,
                                                 "password": teacher.password})
    assert resp.status == 200
    cookie = resp.cookies[TOKEN_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    assert cookie.value == (await resp.json())["token"]
    assert (await client.get("/api/rooms")).status == 200  # the cookie jar sends it
    assert (await client.post("/api/logout")).status == 204
    await assert_error(await client.get("/api/rooms"), 401, "unauthorized")


async def test_wrong_password_and_unknown_user_get_the_same_answer(client, teacher):
    wrong = await client.post("/api/login", json={"username": teacher.username, "password": "nope"})
    unknown = await client.post("/api/login", json={"username": "nobody-here", "password": "nope"})
    assert await assert_error(wrong, 401, "invalid_credentials") == \
        await assert_error(unknown, 401, "invalid_credentials")


async def test_logout_revokes_the_token(client, teacher):
    other = await client.post("/api/login", json={"username": teacher.username,
                                                  "password": teacher.password})
    other_token = (await other.json())["token"]
    client.session.cookie_jar.clear()
    assert (await client.post("/api/logout", headers=teacher.headers)).status == 204
    await assert_error(await client.get("/api/rooms", headers=teacher.headers), 401, "unauthorized")
    await assert_error(await client.post("/api/logout", headers=teacher.headers), 401, "unauthorized")
    # Revoking one token leaves the teacher's other sessions signed in.
    assert (await client.get("/api/rooms",
                             headers={"Authorization": f"Bearer {other_token}"})).status == 200


async def test_tokens_expire_after_the_configured_ttl(make_client, db):
    client = await make_client(token_ttl_hours=0)  # every token is born expired
    teacher = await sign_up_and_log_in(client)
    await assert_error(await client.get("/api/rooms", headers=teacher.headers), 401, "unauthorized")

    client = await make_client(token_ttl_hours=5)
    teacher = await sign_up_and_log_in(client)
    async with db.engine.connect() as conn:
        hours = await conn.scalar(text(
            "SELECT EXTRACT(EPOCH FROM expires_at - created_at) / 3600 FROM auth_tokens "
            "WHERE user_id = :u"), {"u": teacher.user_id})
    assert round(float(hours), 3) == 5
    assert (await client.get("/api/rooms", headers=teacher.headers)).status == 200


async def test_login_rehashes_a_password_stored_with_old_parameters(make_client, make_settings, db):
    client = await make_client()  # hashes with FAST_HASHER
    teacher = await sign_up_and_log_in(client)
    stronger = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
    app = create_app(make_settings())
    app[app_keys.PASSWORDS] = Passwords(stronger)
    client = await make_client(app)
    resp = await client.post("/api/login", json={"username": teacher.username,
                                                 "password": teacher.password})
    assert resp.status == 200
    async with db.engine.connect() as conn:
        stored = await conn.scalar(text(
            "SELECT password_hash FROM teacher_accounts WHERE user_id = :u"), {"u": teacher.user_id})
    assert not stronger.check_needs_rehash(stored)
    stronger.verify(stored, teacher.password)


async def test_me_describes_the_signed_in_teacher(client, teacher):
    resp = await client.get("/api/me", headers=teacher.headers)
    assert resp.status == 200
    assert await resp.json() == {"user_id": teacher.user_id, "username": teacher.username,
                                 "email": f"{teacher.username}@school.example"}
    await assert_error(await client.get("/api/me"), 401, "unauthorized")


async def test_unknown_routes_and_methods_get_the_error_body(client, teacher):
    await assert_error(await client.get("/api/nothing-here"), 404, "not_found")
    await assert_error(await client.put("/api/rooms", headers=teacher.headers), 405,
                       "method_not_allowed")
