"""Every page loads in Chromium with no console error, its modules resolve, and the server
sends the headers a school deployment needs."""

from __future__ import annotations

import pytest

from tests.web.conftest import PHONE, PROJECTOR

# (path, a selector that is visible once the page's module has run)
PAGES = [
    ("/", "#form-name"),
    ("/join?code=123456", "#nickname"),
    ("/teacher", "#login-form"),
    ("/grid", "#key-form"),
    ("/practice", "#key-form"),
    ("/screen", "#stopped-text"),
]


@pytest.mark.parametrize(("path", "ready"), PAGES)
@pytest.mark.parametrize("viewport", [PHONE, PROJECTOR], ids=["phone", "projector"])
async def test_page_loads_without_console_errors(open_tab, path, ready, viewport):
    tab = await open_tab(path, viewport=viewport)
    await tab.page.wait_for_selector(ready, state="visible")
    # Nothing may overflow sideways on a phone.
    overflow = await tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    tab.assert_clean()


async def test_play_without_a_game_goes_back_to_join(open_tab):
    tab = await open_tab("/play")
    await tab.page.wait_for_url("**/join")
    tab.assert_clean()


async def test_host_and_report_ask_a_signed_out_teacher_to_sign_in(open_tab):
    tab = await open_tab("/host/00000000-0000-0000-0000-000000000000")
    await tab.page.wait_for_url("**/teacher")
    await tab.page.goto("/report/00000000-0000-0000-0000-000000000000")
    await tab.page.wait_for_url("**/teacher")
    tab.assert_clean()


async def test_assets_are_served_with_types_and_cache_headers(open_tab, live_server):
    tab = await open_tab(None)
    request = tab.page.request
    bundle = await request.get(f"{live_server}/vendor/socketio.mjs")
    assert bundle.status == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert bundle.headers["cache-control"] == "public, max-age=300"
    page = await request.get(f"{live_server}/teacher")
    assert page.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for bad in ["/static/../server/app.py", "/static/js/nope.js", "/static/%2e%2e/pages/join.html",
                "/vendor/../package.json"]:
        response = await request.get(f"{live_server}{bad}")
        assert response.status == 404, bad


async def test_join_qr_code_is_an_svg_of_the_join_url(open_tab, live_server):
    tab = await open_tab(None)
    response = await tab.page.request.get(f"{live_server}/qr/join.svg?code=123456")
    assert response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert (await response.text()).lstrip().startswith("<svg")
    bad = await tab.page.request.get(f"{live_server}/qr/join.svg?code=javascript:1")
    assert bad.status == 400
    assert (await bad.json())["error"]["code"] == "invalid_code"


async def test_the_socket_library_bundle_loads_as_a_module(open_tab):
    tab = await open_tab("/join")
    kinds = await tab.page.evaluate("""async () => {
        const m = await import('/vendor/socketio.mjs');
        return [typeof m.io, typeof m.msgpackParser.Encoder, typeof m.msgpackParser.Decoder];
    }""")
    assert kinds == ["function", "function", "function"]
    tab.assert_clean()
