"""The learning API over HTTP: sign-in by student key, grids, class grids, authorisation,
and reads that are cached yet fresh right after answers commit."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from learning.catalog import track_id
from persistence.accounts import token_digest
from persistence.curriculum.after_commit import CurriculumAfterCommit
from persistence.curriculum.seed import seed_curriculum
from server import app_keys
from server.app import create_app
from server.settings import Settings
from tests.persistence.curriculum.helpers import set_progress, track_question_ids
from tests.support.factories import make_user

MULT = track_id("multiplication-12")
NOW = dt.datetime(2026, 3, 10, 15, 0)


@pytest.fixture
async def client(aiohttp_client, clean_db, database_url, redis_url, redis_prefix, redis):
    await seed_curriculum(clean_db)
    app = create_app(Settings(database_url=database_url, redis_url=redis_url,
                              redis_prefix=redis_prefix, migrate_on_start=False))
    app[app_keys.CLOCK] = lambda: NOW
    return await aiohttp_client(app)


async def _teacher_token(db, teacher_id) -> str:
    token = secrets.token_urlsafe(24)
    async with db.engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO auth_tokens (token_hash, user_id, expires_at) VALUES (:h, :u, :e)"),
            {"h": token_digest(token), "u": teacher_id, "e": dt.datetime(2100, 1, 1)})
    return token


async def _class_with(db, teacher_id, students) -> uuid.UUID:
    async with db.engine.begin() as conn:
        class_id = await conn.scalar(text(
            "INSERT INTO classes (teacher_id, name) VALUES (:t, '3B') RETURNING id"), {"t": teacher_id})
        for i, student in enumerate(students):
            await conn.execute(text(
                "INSERT INTO class_students (class_id, user_id, display_name, student_key) "
                "VALUES (:c, :u, :n, :k)"),
                {"c": class_id, "u": student, "n": f"Kid {i}", "k": secrets.token_hex(4).upper()})
    return class_id


async def _key_of(db, user_id) -> str:
    async with db.engine.connect() as conn:
        return await conn.scalar(text("SELECT student_key FROM class_students WHERE user_id = :u"),
                                 {"u": user_id})


async def _sign_in(client, db, user_id) -> dict:
    response = await client.post("/api/students/session", json={"student_key": await _key_of(db, user_id)})
    assert response.status == 201
    body = await response.json()
    assert body["user_id"] == str(user_id)
    return {"Authorization": f"Bearer {body['token']}"}


async def test_a_student_signs_in_with_their_key_and_reads_their_grid(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    alice = await make_user(clean_db)
    await _class_with(clean_db, teacher, [alice])
    auth = await _sign_in(client, clean_db, alice)
    ids = await track_question_ids(clean_db, MULT)
    await set_progress(clean_db, alice, ids[20], total=4, correct=3, avg_ms=2500)

    response = await client.get(f"/api/users/{alice}/grid", params={"track_id": str(MULT), "operation": "×"},
                                headers=auth)
    assert response.status == 200
    grid = await response.json()
    assert grid["rows"] == list(range(13)) and grid["cols"] == list(range(13))
    assert len(grid["cells"]) == 169
    # Recompute every cell from the tables and compare.
    async with clean_db.engine.connect() as conn:
        facts = (await conn.execute(text(
            "SELECT q.id, q.operand1, q.operand2, q.correct_answer, qp.mastery, qp.fluency_level, "
            "qp.total_attempts, qp.correct_attempts, qp.last_response_time FROM questions q "
            "LEFT JOIN question_progress qp ON qp.question_id = q.id AND qp.user_id = :u "
            "WHERE q.track_id = :t"), {"u": alice, "t": MULT})).mappings().all()
    expected = {str(f["id"]): f for f in facts}
    for cell in grid["cells"]:
        f = expected[cell["question_id"]]
        assert (cell["row"], cell["col"], cell["value"]) == (f["operand1"], f["operand2"],
                                                             float(f["correct_answer"]))
        assert cell["mastery"] == float(f["mastery"] or 0)
        assert cell["fluency_level"] == (f["fluency_level"] or "not_started")
        tried = f["total_attempts"] or 0
        assert cell["accuracy"] == (round(f["correct_attempts"] * 100 / tried, 2) if tried else 0)
        assert cell["last_response_time"] == f["last_response_time"]
    tried = next(c for c in grid["cells"] if c["question_id"] == str(ids[20]))
    assert tried["accuracy"] == 75.0 and tried["fluency_level"] == "learning"


async def test_students_read_only_their_own_data_and_teachers_only_their_classes(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    other_teacher = await make_user(clean_db, role="teacher")
    alice, bob, carol = await make_user(clean_db), await make_user(clean_db), await make_user(clean_db)
    mine = await _class_with(clean_db, teacher, [alice, bob])
    theirs = await _class_with(clean_db, other_teacher, [carol])
    alice_auth = await _sign_in(client, clean_db, alice)
    teacher_auth = {"Authorization": f"Bearer {await _teacher_token(clean_db, teacher)}"}
    params = {"track_id": str(MULT), "operation": "×"}

    assert (await client.get(f"/api/users/{bob}/grid", params=params, headers=alice_auth)).status == 403
    assert (await client.get(f"/api/users/{alice}/grid", params=params)).status == 401
    assert (await client.get(f"/api/users/{bob}/grid", params=params, headers=teacher_auth)).status == 200
    assert (await client.get(f"/api/users/{carol}/tracks", headers=teacher_auth)).status == 403
    assert (await client.get(f"/api/classes/{theirs}/grid", params=params,
                             headers=teacher_auth)).status == 404
    assert (await client.get(f"/api/classes/{mine}/grid", params=params, headers=alice_auth)).status == 403
    bad = await client.get(f"/api/users/{alice}/grid", params={"track_id": str(MULT), "operation": "+"},
                           headers=alice_auth)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_operation"
    assert (await client.get("/api/users/not-a-uuid/grid", params=params,
                             headers=alice_auth)).status == 404
    bad = await client.get(f"/api/users/{alice}/grid", params={"track_id": "x", "operation": "×"},
                           headers=alice_auth)
    assert bad.status == 400 and (await bad.json())["error"]["code"] == "invalid_track_id"


async def test_the_class_grid_counts_students_at_each_fluency_level(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    kids = [await make_user(clean_db) for _ in range(4)]
    class_id = await _class_with(clean_db, teacher, kids)
    ids = await track_question_ids(clean_db, MULT)
    await set_progress(clean_db, kids[0], ids[50], total=3, correct=3, avg_ms=1000)   # mastered
    await set_progress(clean_db, kids[1], ids[50], total=3, correct=3, avg_ms=1000)   # mastered
    await set_progress(clean_db, kids[2], ids[50], total=4, correct=3, avg_ms=8000)   # learning
    auth = {"Authorization": f"Bearer {await _teacher_token(clean_db, teacher)}"}
    response = await client.get(f"/api/classes/{class_id}/grid",
                                params={"track_id": str(MULT), "operation": "×"}, headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["students"] == 4 and len(body["cells"]) == 169
    cell = next(c for c in body["cells"] if c["question_id"] == str(ids[50]))
    assert cell["counts"]["mastered"] == 2 and cell["counts"]["learning"] == 1
    assert cell["counts"]["not_started"] == 1
    assert cell["shares"]["mastered"] == 0.5 and cell["shares"]["not_started"] == 0.25
    untouched = next(c for c in body["cells"] if c["question_id"] == str(ids[0]))
    assert untouched["shares"]["not_started"] == 1.0


async def test_cached_reads_are_fresh_right_after_answers_commit(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    alice = await make_user(clean_db)
    await _class_with(clean_db, teacher, [alice])
    auth = await _sign_in(client, clean_db, alice)
    cache = client.app[app_keys.LEARNING_CACHE]
    params = {"track_id": str(MULT), "operation": "×"}
    ids = await track_question_ids(clean_db, MULT)

    async def cell():
        body = await (await client.get(f"/api/users/{alice}/grid", params=params, headers=auth)).json()
        return next(c for c in body["cells"] if c["question_id"] == str(ids[3]))

    async def mastered():
        response = await client.get(f"/api/users/{alice}/tracks/{MULT}/progress", headers=auth)
        return (await response.json())["mastered_questions"]

    assert (await cell())["fluency_level"] == "not_started" and await mastered() == 0
    misses = dict(cache.stats.misses)
    assert (await cell())["fluency_level"] == "not_started" and await mastered() == 0
    assert cache.stats.hits["grid"] >= 1 and cache.stats.hits["track_progress"] >= 1
    assert dict(cache.stats.misses) == misses  # the second reads came from Redis

    # An answer batch commits (the writer's after-commit hook runs before the reply).
    await set_progress(clean_db, alice, ids[3], total=2, correct=2, avg_ms=1200)
    hook = CurriculumAfterCommit(clean_db, cache)
    await hook([(SimpleNamespace(user_id=alice, question_id=ids[3], answered_at=NOW),
                 SimpleNamespace(duplicate=False))])
    assert (await cell())["fluency_level"] == "mastered"
    assert await mastered() == 1
    assert cache.stats.invalidations == 1


async def test_a_slow_reader_never_stores_figures_older_than_an_invalidation(client, clean_db, redis):
    cache = client.app[app_keys.LEARNING_CACHE]
    user = await make_user(clean_db)

    async def slow_load():
        # An answer commits while this read is loading from PostgreSQL.
        await cache.invalidate_students([user])
        return {"stale": True}

    assert await cache.user_stats(user, slow_load) == {"stale": True}
    assert await redis.get(cache.user_stats_key(user)) is None

    async def load():
        return {"fresh": True}

    assert await cache.user_stats(user, load) == {"fresh": True}
    assert await redis.get(cache.user_stats_key(user)) is not None
    assert 0 < await redis.ttl(cache.user_stats_key(user)) <= 300


async def test_every_invalidation_makes_what_was_cached_before_it_a_miss(client, clean_db, redis):
    cache = client.app[app_keys.LEARNING_CACHE]
    user = await make_user(clean_db)
    loads = 0

    async def load():
        nonlocal loads
        loads += 1
        return {"load": loads}

    for expected in (1, 2, 3):  # cached, then invalidated, again and again
        assert await cache.user_stats(user, load) == {"load": expected}
        assert await cache.user_stats(user, load) == {"load": expected}  # a hit
        await cache.invalidate_students([user])
    generation_key = f"{cache.prefix}:user:{user}:cache_gen"
    assert 3600 < await redis.ttl(generation_key) <= 24 * 3600


async def test_live_game_answers_refresh_progress_in_the_background(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    alice = await make_user(clean_db)
    await _class_with(clean_db, teacher, [alice])
    auth = await _sign_in(client, clean_db, alice)
    cache = client.app[app_keys.LEARNING_CACHE]
    refresher = client.app[app_keys.PROGRESS_REFRESHER]
    ids = await track_question_ids(clean_db, MULT)
    url = f"/api/users/{alice}/tracks/{MULT}/progress"
    assert (await (await client.get(url, headers=auth)).json())["mastered_questions"] == 0

    hook = CurriculumAfterCommit(clean_db, cache, refresher)
    for q in ids[:3]:
        await set_progress(clean_db, alice, q, total=1, correct=1, avg_ms=900)
    invalidations = cache.stats.invalidations
    for i, q in enumerate(ids[:3]):  # three batches, one right after another
        # A live game's answers carry their question_index.
        await hook([(SimpleNamespace(user_id=alice, question_id=q, answered_at=NOW, question_index=i),
                     SimpleNamespace(duplicate=False))])
    assert cache.stats.invalidations == invalidations  # the acks wait for no cache work
    await refresher.drain()
    assert (await (await client.get(url, headers=auth)).json())["mastered_questions"] == 3
    # One refresh for the three batches: the student's figures were dropped once.
    assert cache.stats.invalidations == invalidations + 1


async def test_cache_hits_and_misses_reach_the_metrics_endpoint(client, clean_db):
    teacher = await make_user(clean_db, role="teacher")
    alice = await make_user(clean_db)
    await _class_with(clean_db, teacher, [alice])
    auth = await _sign_in(client, clean_db, alice)
    for _ in range(3):
        response = await client.get(f"/api/users/{alice}/stats", headers=auth)
        assert response.status == 200
    metrics = await (await client.get("/metrics")).text()
    assert 'mathrally_cache_hits_total{cache="user_stats"} 2.0' in metrics
    assert 'mathrally_cache_misses_total{cache="user_stats"} 1.0' in metrics
    snapshot = client.app[app_keys.LEARNING_CACHE].stats.snapshot()
    assert snapshot["hits"]["user_stats"] == 2 and snapshot["misses"]["user_stats"] == 1
    assert snapshot["hit_ratio"]["user_stats"] == 0.6667
