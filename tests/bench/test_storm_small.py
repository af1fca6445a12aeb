"""The storm generator in miniature, for CI: correctness only, never a time.

One room of 20 students plays 3 questions; a fifth of them re-send their answer with the same
attempt_id. Every answer must be acknowledged exactly once as new, every retry as a duplicate
with the same result, every student must see every question, and nothing may be lost. Against
the real app the acknowledged answers must also be exactly the rows committed.
"""

from __future__ import annotations

import os

from aiohttp.test_utils import TestServer

from bench.storm import baseline_server
from bench.storm.run import run_scenario
from bench.storm.scenario import Scenario
from bench.storm.servers import Target

SMALL = Scenario("ci", rooms=1, students=20, questions=3, spread_ms=300, time_limit_ms=5000,
                 retry_share=0.2, seed=7)


def assert_clean_storm(result: dict) -> None:
    answers = SMALL.rooms * SMALL.students * SMALL.questions
    assert result["game_errors"] == []
    assert result["refused"] == {} and result["connect_failures"] == {}
    assert result["connected"] == SMALL.rooms * SMALL.students
    assert result["question_missing"] == 0
    assert result["ack_errors"] == {}
    assert result["lost"] == 0
    assert result["answers_sent"] == answers
    assert result["acked"] == answers
    assert result["retries_sent"] > 0
    assert result["duplicates_acked"] == result["retries_sent"]
    assert result["retry_mismatches"] == 0


async def test_small_storm_against_the_baseline_loses_nothing():
    server = TestServer(baseline_server.create_app(), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/")).rstrip("/")
        result = await run_scenario(Target("baseline", url, os.getpid()), SMALL, "aiohttp",
                                    show_progress=False)
    finally:
        await server.close()
    assert_clean_storm(result)
    assert result["committed"] is None  # the baseline stores nothing


async def test_small_storm_against_the_real_app_commits_every_acked_answer(
        database_url, redis_url, redis_prefix, redis, clean_db):
    from server.app import create_app
    from server.settings import Settings

    settings = Settings(database_url=database_url, redis_url=redis_url, redis_prefix=redis_prefix,
                        secret_key="storm-test-secret", migrate_on_start=False, batch_window_ms=2)
    server = TestServer(create_app(settings), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/")).rstrip("/")
        result = await run_scenario(Target("real", url, os.getpid(), database_url), SMALL, "aiohttp",
                                    show_progress=False)
    finally:
        await server.close()
    assert_clean_storm(result)
    assert result["committed"] == result["acked"]


class _RefusedButStored(baseline_server.BaselineGame):
    """The baseline, except that every third new answer is stored and then refused with
    `storage_unavailable`, as the real writer does when a COMMIT's reply is lost: only a
    resend of the same attempt_id (acked as a duplicate) tells the student it counted."""

    def __init__(self, sio) -> None:
        super().__init__(sio)
        self.stored = 0
        self.refused = 0

    def answer(self, room, player, data):
        ack = super().answer(room, player, data)
        if ack.get("ok") and not ack.get("duplicate"):
            self.stored += 1
            if self.stored % 3 == 0:
                self.refused += 1
                return baseline_server._error("storage_unavailable", "sending it again is safe")
        return ack


async def test_a_refused_answer_stored_after_all_is_resent_and_counted_once(monkeypatch):
    games: list[_RefusedButStored] = []

    def game(sio):
        games.append(_RefusedButStored(sio))
        return games[-1]

    monkeypatch.setattr(baseline_server, "BaselineGame", game)
    server = TestServer(baseline_server.create_app(), host="127.0.0.1")
    await server.start_server()
    try:
        url = str(server.make_url("/")).rstrip("/")
        result = await run_scenario(Target("baseline", url, os.getpid()), SMALL, "aiohttp",
                                    show_progress=False)
    finally:
        await server.close()
    answers = SMALL.rooms * SMALL.students * SMALL.questions
    assert games[0].refused > 0
    assert result["resends"] >= games[0].refused
    assert result["acked"] == games[0].stored == answers
    assert result["lost"] == 0 and result["retry_mismatches"] == 0
