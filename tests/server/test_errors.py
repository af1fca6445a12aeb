"""The error middleware: every failure, even an unexpected one, has the contract's body."""

from __future__ import annotations

import logging

from aiohttp import web

from server.errors import ApiError, json_errors
from tests.server.conftest import assert_error


async def _broken(request: web.Request) -> web.Response:
    raise RuntimeError("database exploded")


async def _refused(request: web.Request) -> web.Response:
    raise ApiError(418, "teapot", "short and stout", headers={"X-Why": "because"})


async def test_unexpected_exceptions_become_a_500_error_body(aiohttp_client, caplog):
    app = web.Application(middlewares=[json_errors])
    app.router.add_get("/broken", _broken)
    app.router.add_get("/refused", _refused)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR, logger="server.errors"):
        body = await assert_error(await client.get("/broken"), 500, "internal_error")
    assert "exploded" not in body["error"]["message"]
    assert any("unhandled error in GET /broken" in r.getMessage() for r in caplog.records)
    resp = await client.get("/refused")
    await assert_error(resp, 418, "teapot")
    assert resp.headers["X-Why"] == "because"


def test_a_429_cannot_be_made_without_retry_after():
    """Every refusal for going too fast says when to come back: an ApiError(429) without a
    Retry-After header is a bug caught where it is raised, not a header a client misses."""
    import pytest

    with pytest.raises(ValueError, match="Retry-After"):
        ApiError(429, "too_many_things", "slow down")
    assert ApiError(429, "too_many_things", "slow down", headers={"Retry-After": "5"}).status == 429
