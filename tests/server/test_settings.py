"""Settings from the environment: values, bounds, and the message a mistyped one gets."""

from __future__ import annotations

import pytest

from server import app_keys, cli
from server.settings import Settings


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
    ("TOKEN_TTL_HOURS", "0", "TOKEN_TTL_HOURS must be at least 1, got 0"),
    ("BATCH_IN_FLIGHT", "two", "BATCH_IN_FLIGHT must be an integer, got 'two'"),
])
def test_a_value_out_of_bounds_is_refused_by_name(name, raw, message):
    with pytest.raises(ValueError) as info:
        Settings.from_env({name: raw})
    assert str(info.value) == message


def test_the_command_line_reports_a_bad_setting_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("BATCH_IN_FLIGHT", "0")
    with pytest.raises(SystemExit) as info:
        cli.main(["migrate"])
    assert info.value.code == 2
    assert "mathrally: error: BATCH_IN_FLIGHT must be at least 1, got 0" in capsys.readouterr().err


async def test_the_server_commits_as_many_batches_at_once_as_configured(make_client):
    client = await make_client(batch_in_flight=3, batch_window_ms=1)
    assert client.server.app[app_keys.ANSWER_WRITER].max_in_flight == 3
