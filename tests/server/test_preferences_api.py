"""GET/PATCH /api/me/preferences: the signed-in user's text size, colour scheme, font, grid
palette and daily goal."""

from __future__ import annotations

from tests.server.conftest import assert_error

DEFAULTS = {"font_family": "standard", "palette": "standard", "daily_goal_minutes": 15}


async def test_new_user_has_the_seed_defaults(client, teacher):
    resp = await client.get("/api/me/preferences", headers=teacher.headers)
    assert resp.status == 200
    assert await resp.json() == {"font_size": "medium", "color_scheme": "default", **DEFAULTS}


async def test_a_change_is_stored_and_partial_changes_keep_the_rest(client, teacher):
    resp = await client.patch("/api/me/preferences", headers=teacher.headers,
                              json={"font_size": "x-large", "color_scheme": "high_contrast"})
    assert resp.status == 200
    assert await resp.json() == {"font_size": "x-large", "color_scheme": "high_contrast", **DEFAULTS}
    resp = await client.patch("/api/me/preferences", headers=teacher.headers, json={"font_size": "small"})
    assert await resp.json() == {"font_size": "small", "color_scheme": "high_contrast", **DEFAULTS}
    resp = await client.get("/api/me/preferences", headers=teacher.headers)
    assert await resp.json() == {"font_size": "small", "color_scheme": "high_contrast", **DEFAULTS}


async def test_unknown_values_and_fields_are_refused(client, teacher):
    for body in ({"font_size": "huge"}, {"color_scheme": "pink"}, {"font_size": 3},
                 {"theme": "dark"}, ["dark"], {"font_family": "comic"}, {"palette": "rainbow"},
                 {"daily_goal_minutes": 0}, {"daily_goal_minutes": 121}, {"daily_goal_minutes": "5"}):
        resp = await client.patch("/api/me/preferences", headers=teacher.headers, json=body)
        await assert_error(resp, 400, "invalid_payload")
    resp = await client.get("/api/me/preferences", headers=teacher.headers)
    assert await resp.json() == {"font_size": "medium", "color_scheme": "default", **DEFAULTS}


async def test_without_a_live_token_it_is_401(client, teacher):
    await assert_error(await client.get("/api/me/preferences"), 401, "unauthorized")
    await assert_error(await client.patch("/api/me/preferences", json={"font_size": "large"},
                                          headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    await client.post("/api/logout", headers=teacher.headers)
    await assert_error(await client.get("/api/me/preferences", headers=teacher.headers),
                       401, "unauthorized")


async def test_font_palette_and_daily_goal_are_preferences_too(client, teacher):
    resp = await client.patch("/api/me/preferences", headers=teacher.headers, json={
        "font_family": "dyslexia", "palette": "colour_blind", "daily_goal_minutes": 10})
    assert resp.status == 200, await resp.text()
    assert await resp.json() == {"font_size": "medium", "color_scheme": "default",
                                 "font_family": "dyslexia", "palette": "colour_blind",
                                 "daily_goal_minutes": 10}
