"""`mathrally retention` and the schedule of the long-running operations commands."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging

import pytest
from sqlalchemy import text

from server.cli import main
from server.schedule import Schedule, parse_clock, parse_duration, run_on_schedule
from tests.support import factories


@pytest.fixture
def root_logging():
    """The CLI configures the root logger for the process; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize(("now", "at", "seconds"), [
    (dt.datetime(2026, 11, 24, 1, 0, tzinfo=dt.UTC), dt.time(2, 0), 3600),
    (dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC), dt.time(2, 0), 86400),
    (dt.datetime(2026, 11, 24, 23, 30, tzinfo=dt.UTC), dt.time(0, 15), 45 * 60),
    # 02:30 in UTC+2 is 00:30 UTC.
    (dt.datetime(2026, 11, 24, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))), dt.time(2, 0), 5400),
])
def test_a_daily_schedule_waits_until_the_next_utc_time_of_day(now, at, seconds):
    assert Schedule(at=at).seconds_until_next(now, first=True) == seconds


def test_an_interval_schedule_runs_at_once_then_every_interval():
    schedule = Schedule(every=parse_duration("24h"))
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    assert schedule.seconds_until_next(now, first=True) == 0
    assert schedule.seconds_until_next(now, first=False) == 86400


@pytest.mark.parametrize("raw", ["24", "0h", "1w", "-5m", ""])
def test_bad_durations_are_refused(raw):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(raw)


@pytest.mark.parametrize("raw", ["2:00", "24:00", "02:60", "noon"])
def test_bad_times_of_day_are_refused(raw):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_clock(raw)


async def test_a_failed_run_does_not_stop_the_schedule(caplog):
    runs = []
    done = asyncio.Event()

    async def job():
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("database unreachable")
        if len(runs) == 3:
            done.set()

    task = asyncio.create_task(run_on_schedule("test-job", Schedule(every=0.001), job))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runs[:3] == [0, 1, 2]
    assert any("test-job run failed" in r.getMessage() and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("argv", [
    ["--every", "24h", "--dry-run"],
    ["--at", "03:00", "--unarchive", "2023-01-01", "2024-01-01"],
    ["--unarchive", "2024-01-01", "2023-01-01"],
    ["--unarchive", "2023-01-01", "2024-01-01", "--dry-run"],
])
def test_contradictory_retention_options_are_refused(root_logging, argv):
    assert main(["retention", *argv]) == 2


def test_every_and_at_exclude_each_other(capsys):
    with pytest.raises(SystemExit):
        main(["retention", "--every", "24h", "--at", "03:00"])
    assert "not allowed with argument" in capsys.readouterr().err


async def test_the_retention_command_reports_and_moves(clean_db, database_url, monkeypatch,
                                                        root_logging, capsys):
    user = await factories.make_user(clean_db)
    async with clean_db.sessions() as session, session.begin():
        await session.execute(text(
            "INSERT INTO learning_events (type, user_id, timestamp, payload) "
            "VALUES ('answer', :u, now() - interval '100 days', '{}'::jsonb)"), {"u": user})
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOG_FORMAT", "json")

    def report_lines() -> list[dict]:
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        return [line for line in lines if line["message"].startswith("retention")]

    assert await asyncio.to_thread(main, ["retention", "--dry-run"]) == 0
    [dry] = report_lines()
    assert (dry["dry_run"], dry["aggregated_events"], dry["archived_attempts"]) == (True, 1, 0)
    assert await asyncio.to_thread(main, ["retention", "--batch-size", "10"]) == 0
    *progress, did = report_lines()
    assert (did["dry_run"], did["aggregated_events"]) == (False, 1)
    assert [p["message"] for p in progress] == ["retention: learning_events — 1 rows so far"]
    async with clean_db.engine.connect() as conn:
        left = (await conn.execute(text("SELECT count(*) FROM learning_events"))).scalar_one()
    assert left == 0
