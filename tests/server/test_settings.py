"""Settings from the environment: values, bounds, and the message a mistyped one gets."""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import app_keys, cli
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_writer_limits_come_from_the_environment():
    settings = Settings.from_env({"BATCH_MAX_ATTEMPTS": "200", "BATCH_WINDOW_MS": "0",
                                  "BATCH_IN_FLIGHT": "4"})
    assert (settings.batch_max_attempts, settings.batch_window_ms, settings.batch_in_flight) \
        == (200, 0, 4)
    defaults = Settings.from_env({})
    assert (defaults.batch_max_attempts, defaults.batch_window_ms, defaults.batch_in_flight) \
        == (500, 12, 2)


@pytest.mark.parametrize(("name", "raw", "message"), [
    ("BATCH_IN_FLIGHT", "0", "BATCH_IN_FLIGHT must be at least 1, got 0"),
    ("BATCH_MAX_ATTEMPTS", "-5", "BATCH_MAX_ATTEMPTS must be at least 1, got -5"),
    ("BATCH_WINDOW_MS", "-1", "BATCH_WINDOW_MS must be at least 0, got -1"),
    ("DB_POOL_SIZE", "0", "DB_POOL_SIZE must be at least 1, got 0"),
    ("REPORT_POOL_SIZE", "0", "REPORT_POOL_SIZE must be at least 1, got 0"),
    ("REPORT_POOL_TIMEOUT_MS", "50", "REPORT_POOL_TIMEOUT_MS must be at least 100, got 50"),
    ("TOKEN_TTL_HOURS", "0", "TOKEN_TTL_HOURS must be at least 1, got 0"),
    ("ANSWER_TIMEOUT_MS", "10", "ANSWER_TIMEOUT_MS must be at least 500, got 10"),
    ("DB_STATEMENT_TIMEOUT_MS", "0", "DB_STATEMENT_TIMEOUT_MS must be at least 100, got 0"),
    ("BATCH_IN_FLIGHT", "two", "BATCH_IN_FLIGHT must be an integer, got 'two'"),
])
def test_a_value_out_of_bounds_is_refused_by_name(name, raw, message):
    with pytest.raises(ValueError) as info:
        Settings.from_env({name: raw})
    assert str(info.value) == message


def test_the_report_pool_comes_from_the_environment():
    settings = Settings.from_env({"REPORT_POOL_SIZE": "3", "REPORT_POOL_TIMEOUT_MS": "500",
                                  "DB_STATEMENT_TIMEOUT_MS": "2500"})
    assert settings.report_pool_size == 3
    assert (settings.report_timeouts.pool_ms, settings.report_timeouts.statement_ms) == (500, 2500)
    defaults = Settings.from_env({})
    assert (defaults.report_pool_size, defaults.report_pool_timeout_ms) == (4, 2000)


def test_the_command_line_reports_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("BATCH_IN_FLIGHT", "0")
    with pytest.raises(SystemExit) as info:
        cli.main(["migrate"])
    assert info.value.code == 2
    assert "mathrally: error: BATCH_IN_FLIGHT must be at least 1, got 0" in capsys.readouterr().err


def test_the_database_waits_come_from_the_environment():
    settings = Settings.from_env({"DB_CONNECT_TIMEOUT_MS": "1500", "DB_STATEMENT_TIMEOUT_MS": "2500",
                                  "DB_POOL_TIMEOUT_MS": "1000", "ANSWER_TIMEOUT_MS": "3000"})
    timeouts = settings.db_timeouts
    assert (timeouts.connect_ms, timeouts.statement_ms, timeouts.pool_ms) == (1500, 2500, 1000)
    assert timeouts.command_s == 3.5 and settings.answer_timeout_ms == 3000
    assert timeouts.server_settings() == {"statement_timeout": "2500",
                                          "idle_in_transaction_session_timeout": "5000"}
    defaults = Settings.from_env({})
    assert (defaults.db_timeouts.statement_ms, defaults.answer_timeout_ms) == (3000, 4000)


async def test_every_connection_of_a_server_has_the_statement_timeouts(make_client):
    from sqlalchemy import text

    client = await make_client(db_statement_timeout_ms=2200)
    app = client.server.app
    async with app[app_keys.DATABASE].engine.connect() as connection:
        shown = (await connection.execute(text(
            "SELECT current_setting('statement_timeout'), "
            "current_setting('idle_in_transaction_session_timeout')"))).one()
    assert tuple(shown) == ("2200ms", "4400ms")


async def test_the_server_commits_as_many_batches_at_once_as_configured(make_client):
    client = await make_client(batch_in_flight=3, batch_window_ms=1)
    assert client.server.app[app_keys.ANSWER_WRITER].max_in_flight == 3


def test_trusted_proxies_are_addresses_or_networks():
    settings = Settings.from_env({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ValueError) as info:
        Settings.from_env({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.local"})
    assert str(info.value) == "TRUSTED_PROXIES must list IP addresses or CIDR ranges, got 'proxy.local'"


def run_server(env: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m server` for real, with only these variables besides PATH."""
    return subprocess.run([sys.executable, "-m", "server"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ["PATH"], "LOG_FORMAT": "text", **env})


def test_a_server_with_redis_and_no_secret_key_refuses_to_start_naming_it():
    result = run_server({"REDIS_URL": "redis://127.0.0.1:1/0", "PORT": "1"})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mathrally: error: SECRET_KEY must be set when "
                                                   "REDIS_URL is set"), result.stderr


def test_one_worker_without_redis_makes_its_own_key_and_says_so(monkeypatch, caplog):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = Settings.from_env({})
    assert settings.secret_key_generated and len(settings.secret_key) >= 32
    assert Settings.from_env({}).secret_key != settings.secret_key
    settings.check_can_serve()  # no REDIS_URL: one worker, its own key is fine
    Settings.from_env({"REDIS_URL": "redis://x", "SECRET_KEY": "k"}).check_can_serve()
    served = []
    monkeypatch.setattr("aiohttp.web.run_app", lambda app, **kwargs: served.append(app))
    monkeypatch.setitem(sys.modules, "uvloop", None)  # no event loop made for a run that never runs
    with caplog.at_level("WARNING", logger="mathrally"):
        cli._serve(dataclasses.replace(settings, host="127.0.0.1", port=0),
                   argparse.Namespace(seed=False))
    assert served and "SECRET_KEY is unset: this worker signs rejoin tokens with a random key" in caplog.text


def test_a_replica_comes_with_its_primary_and_its_bounds():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://p/db", "DATABASE_REPLICA_URL":
                                  "postgresql://r/db", "DATABASE_REPLICA_MAX_LAG_MS": "500",
                                  "DATABASE_REPLICA_WAIT_MS": "0"})
    settings.check_can_serve()
    assert (settings.database_replica_url, settings.replica_max_lag_ms, settings.replica_wait_ms) \
        == ("postgresql://r/db", 500, 0)
    defaults = Settings.from_env({})
    assert (defaults.database_replica_url, defaults.replica_max_lag_ms, defaults.replica_wait_ms) \
        == (None, 2000, 1000)
    with pytest.raises(ValueError) as info:
        Settings.from_env({"DATABASE_REPLICA_URL": "postgresql://r/db"}).check_can_serve()
    assert str(info.value).startswith("DATABASE_REPLICA_URL needs DATABASE_URL")
