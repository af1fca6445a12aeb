"""GET /api/tracks: the learning tracks for the teacher's New game form."""

from __future__ import annotations

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.server.conftest import assert_error


async def test_teachers_get_every_track_with_its_operations(client, teacher, db):
    await seed_curriculum(db)
    resp = await client.get("/api/tracks", headers=teacher.headers)
    assert resp.status == 200
    tracks = (await resp.json())["tracks"]
    by_id = {t["track_id"]: t for t in tracks}
    multiplication = by_id[str(track_id("multiplication-12"))]
    assert multiplication["operations"] == ["×"]
    assert multiplication["total_questions"] > 0
    # Prerequisites come first: addition within 10 before addition within 20.
    ids = [t["track_id"] for t in tracks]
    assert ids.index(str(track_id("addition-10"))) < ids.index(str(track_id("addition-20")))


async def test_only_signed_in_teachers(client):
    await assert_error(await client.get("/api/tracks"), 401, "unauthorized")
