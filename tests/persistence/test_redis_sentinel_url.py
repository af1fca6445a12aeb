"""REDIS_URL=redis+sentinel://… : what it names, and the message a malformed one gets."""

from __future__ import annotations

import pytest

from persistence.redis_client import SentinelTarget, parse_sentinel_url
from server.settings import Settings


def test_a_sentinel_url_names_the_sentinels_the_database_and_the_service():
    assert parse_sentinel_url("redis+sentinel://10.0.0.21:26379,10.0.0.22:26379,[::1]:26380/0/mathrally") \
        == SentinelTarget((("10.0.0.21", 26379), ("10.0.0.22", 26379), ("::1", 26380)), "mathrally", 0)
    target = parse_sentinel_url("redis+sentinel://app:s%40cret@h1:26379/2/rally")
    assert target == SentinelTarget((("h1", 26379),), "rally", 2, "app", "s@cret")
    assert parse_sentinel_url("redis://127.0.0.1:6379/0") is None


@pytest.mark.parametrize(("url", "says"), [
    ("redis+sentinel://h1:26379/0", "names the database and the service"),
    ("redis+sentinel://h1:26379/mathrally", "names the database and the service"),
    ("redis+sentinel://h1,h2:26379/0/mathrally", "each Sentinel is host:port"),
    ("redis+sentinel://h1:port/0/mathrally", "each Sentinel is host:port"),
])
def test_a_malformed_sentinel_url_is_refused_by_the_settings(url, says):
    with pytest.raises(ValueError) as info:
        Settings.from_env({"REDIS_URL": url})
    assert str(info.value).startswith("REDIS_URL: ") and says in str(info.value)
