"""The join page in Chromium: it loads cleanly, and checks the code and name before leaving."""

from __future__ import annotations

import json

from tests.web.conftest import PROJECTOR


async def test_join_page_loads_with_strict_csp_and_no_console_errors(open_tab, live_server):
    tab = await open_tab("/")
    page = tab.page
    await page.wait_for_selector("#code")
    assert await page.title() == "Join a game · Math Rally"
    response = await page.request.get(f"{live_server}/join")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    tab.assert_clean()


async def test_join_form_rejects_a_bad_code_and_an_empty_name(open_tab):
    tab = await open_tab("/join")
    page = tab.page
    await page.fill("#code", "12ab")
    await page.click("#form-name button[type=submit]")
    assert await page.text_content("#code-error") == "The game code is 6 numbers."
    assert await page.get_attribute("#code", "aria-invalid") == "true"
    assert page.url.endswith("/join")

    await page.fill("#code", "123456")
    await page.fill("#nickname", "   ")
    await page.click("#form-name button[type=submit]")
    assert await page.text_content("#code-error") == ""
    assert await page.text_content("#nickname-error") == "Type your name."
    assert await page.evaluate("document.activeElement.id") == "nickname"
    tab.assert_clean()


async def hold_the_connection(page) -> None:
    """Keep /play from connecting, so what /join handed over can be read before any answer."""
    await page.route("**/socket.io/**", lambda route: route.abort())


async def test_join_form_hands_the_choice_to_the_play_page(open_tab):
    tab = await open_tab("/join?code=654321")
    page = tab.page
    await hold_the_connection(page)
    assert await page.input_value("#code") == "654321"
    # The name field has the focus when the code came in the link (scanned QR code).
    assert await page.evaluate("document.activeElement.id") == "nickname"
    await page.keyboard.type("  Ada  ")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/play")
    saved = await page.evaluate("sessionStorage.getItem('mathrally.join')")
    assert json.loads(saved) == {"code": "654321", "nickname": "Ada"}


async def test_student_key_tab_is_reachable_by_keyboard_and_remembers_the_key(open_tab):
    tab = await open_tab("/join?code=111222", viewport=PROJECTOR)
    page = tab.page
    await hold_the_connection(page)
    await page.focus("#tab-name")
    await page.keyboard.press("ArrowRight")
    assert await page.evaluate("document.activeElement.id") == "tab-key"
    assert await page.is_visible("#form-key")
    await page.fill("#student-key", "abcd-2345")
    await page.check("#remember-key")
    await page.click("#form-key button[type=submit]")
    await page.wait_for_url("**/play")
    assert await page.evaluate("localStorage.getItem('mathrally.student_key')") == "ABCD-2345"
    saved = json.loads(await page.evaluate("sessionStorage.getItem('mathrally.join')"))
    assert saved == {"code": "111222", "student_key": "ABCD-2345"}


async def test_a_refusal_from_the_game_is_explained_on_the_join_page(open_tab):
    tab = await open_tab("/join?code=123456&error=nickname_taken")
    assert "already uses that name" in await tab.page.text_content("#join-notice")
    tab.assert_clean()
