"""deploy/'s files agree with each other and with the server's settings."""

from __future__ import annotations

import re

from server.settings import Settings
from tests.support.haproxy import SHIPPED, SHIPPED_SERVERS
from tests.support.workers import ROOT

DEPLOY = ROOT / "deploy"


def read_env_example() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "mathrally.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    return values


def test_the_example_environment_is_a_valid_multi_worker_configuration():
    settings = Settings.from_env(read_env_example())
    settings.check_can_serve()  # REDIS_URL set, and SECRET_KEY with it
    assert settings.redis_url and not settings.secret_key_generated
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32"]
    assert not settings.migrate_on_start


def test_the_units_read_the_environment_file_and_listen_where_haproxy_looks():
    web = (DEPLOY / "systemd" / "mathrally-web@.service").read_text()
    worker = (DEPLOY / "systemd" / "mathrally-worker.service").read_text()
    for unit in (web, worker):
        assert "EnvironmentFile=/etc/mathrally/mathrally.env" in unit
    assert "Environment=PORT=%i HOST=127.0.0.1" in web
    assert "ExecStart=/srv/mathrally/.venv/bin/mathrally serve" in web
    assert "mathrally retention --at 03:00" in worker
    ports = re.findall(r"mathrally-web@(\d+)", web)
    assert [f"127.0.0.1:{p}" for p in ports] == list(SHIPPED_SERVERS)
    assert all(server in SHIPPED.read_text() for server in SHIPPED_SERVERS)
