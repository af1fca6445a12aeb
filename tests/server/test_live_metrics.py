"""/metrics follows a real game: connections per namespace, rooms, answers, ack latency."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.support import factories
from tests.support.live_clients import connect_host, connect_student, new_attempt


async def _scrape(live_url: str) -> dict[tuple[str, tuple], float]:
    async with aiohttp.ClientSession() as http, http.get(f"{live_url}/metrics") as response:
        assert response.status == 200
        body = await response.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


async def test_metrics_count_a_live_games_clients_rooms_and_answers(live_url, db):
    teacher, token = await factories.make_teacher_with_token(db)
    room = await factories.make_room(db, teacher, question_count=1)
    host = await connect_host(live_url, token, room["room_id"])
    ada = await connect_student(live_url, room["code"], "Ada")
    bo = await connect_student(live_url, room["code"], "Bo")
    assert (await host.call("start"))["ok"]
    question = await ada.wait_for("question")
    ack = await ada.call("answer", {"index": 0, "answer": "1", "attempt_id": new_attempt()})
    assert ack["ok"], ack
    await bo.disconnect()

    found = await _scrape(live_url)
    assert found[("mathrally_connected_clients", (("namespace", "/play"),))] == 1
    assert found[("mathrally_connected_clients", (("namespace", "/host"),))] == 1
    assert found[("mathrally_open_rooms", ())] == 1
    assert found[("mathrally_answers_total", ())] == 1
    assert found[("mathrally_commit_batch_size_count", ())] == 1
    assert found[("mathrally_commit_latency_seconds_count", ())] == 1
    assert found[("mathrally_commit_latency_seconds_sum", ())] > 0
    assert found[("mathrally_ack_latency_seconds_count", ())] == 1
    assert question["index"] == 0
    for client in (host, ada):
        await client.disconnect()
