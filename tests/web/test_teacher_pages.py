"""The teacher's pages in Chromium against the real accounts, rooms and roster API."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import text

from learning.catalog import track_id
from persistence.curriculum.seed import seed_curriculum
from tests.web.game_driver import create_room, sign_up_teacher, unique_username


async def test_teacher_registers_creates_a_game_and_sees_it_listed(open_tab):
    tab = await open_tab("/teacher")
    page = tab.page
    await sign_up_teacher(page)
    room = await create_room(page, title="Warm-up", low=1, high=6, questions=5, seconds=12)
    assert len(room["code"]) == 6 and room["code"].isdigit()
    assert f"/screen?code={room['code']}&key=" in room["screen_url"]
    listed = page.locator("#room-list li", has_text="Warm-up")
    await listed.wait_for()
    assert room["code"] in await listed.text_content()
    # Signed in survives a reload (token on this device); signing out returns to the forms.
    await page.reload()
    await page.wait_for_selector("[data-view=signed-in]", state="visible")
    await page.click("#sign-out")
    await page.wait_for_selector("#login-form", state="visible")
    tab.assert_clean()


async def test_room_form_checks_the_range_before_sending(open_tab):
    tab = await open_tab("/teacher")
    page = tab.page
    await sign_up_teacher(page)
    await page.fill("#room-min", "9")
    await page.fill("#room-max", "3")
    await page.click("#room-form button[type=submit]")
    assert "must not be more" in await page.text_content("#room-error")
    assert await page.is_hidden("#room-created")
    tab.assert_clean()


async def test_wrong_password_is_explained_and_login_works(open_tab):
    tab = await open_tab("/teacher")
    page = tab.page
    username = await sign_up_teacher(page, unique_username(), password="s3cret-enough")
    await page.click("#sign-out")
    await page.fill("#login-username", username)
    await page.fill("#login-password", "not it at all")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    await page.fill("#login-password", "s3cret-enough")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[data-view=signed-in]", state="visible")
    # A failed sign-in is a 401 the page expected: the browser logs it, nothing else.
    assert all("401" in e for e in tab.errors), tab.errors


async def test_roster_keys_and_printable_cards(open_tab):
    tab = await open_tab("/teacher")
    page = tab.page
    await sign_up_teacher(page)
    await page.fill("#class-name", "Class 3B")
    await page.click("#class-form button[type=submit]")
    await page.wait_for_selector("#roster", state="visible")
    await page.fill("#student-names", "Ada\nGrace\n\nAlan ")
    await page.click("#students-form button[type=submit]")
    rows = page.locator("#roster-body tr")
    await rows.nth(2).wait_for()
    names = await page.locator("#roster-body td:first-child").all_text_contents()
    keys = await page.locator("#roster-body td.key").all_text_contents()
    assert sorted(names) == ["Ada", "Alan", "Grace"]
    assert len(set(keys)) == 3 and all(k.strip() for k in keys)

    await page.click("#print-cards")
    await page.wait_for_url("**/cards?class_id=*")
    cards = page.locator(".key-card")
    await cards.nth(2).wait_for()
    assert sorted(await page.locator(".key-card .key").all_text_contents()) == sorted(keys)
    assert "Class 3B" in await page.text_content("#cards-title")
    # Printing hides the page's controls and keeps the cards.
    await page.emulate_media(media="print")
    assert await page.is_hidden("header.bar")
    assert await cards.first.is_visible()
    tab.assert_clean()


async def test_display_preferences_follow_the_teacher_to_another_device(open_tab):
    laptop = await open_tab("/teacher")
    username = await sign_up_teacher(laptop.page, password="s3cret-enough")
    async with laptop.page.expect_response("**/api/me/preferences") as saved:
        await laptop.page.select_option("#pref-scheme", "high_contrast")
    assert (await saved.value).ok
    async with laptop.page.expect_response("**/api/me/preferences") as saved:
        await laptop.page.select_option("#pref-size", "large")
    stored = await (await saved.value).json()
    assert (stored["font_size"], stored["color_scheme"]) == ("large", "high_contrast")

    tablet = await open_tab("/teacher")  # another browser context: nothing on this device yet
    page = tablet.page
    assert "scheme-default" in await page.evaluate("document.documentElement.className")
    await page.fill("#login-username", username)
    await page.fill("#login-password", "s3cret-enough")
    await page.keyboard.press("Enter")
    await expect(page.locator("html")).to_have_class("size-large scheme-high_contrast")
    await expect(page.locator("#pref-scheme")).to_have_value("high_contrast")
    laptop.assert_clean()
    tablet.assert_clean()


async def test_a_game_can_be_based_on_a_learning_track(open_tab, db):
    await seed_curriculum(db)
    tab = await open_tab("/teacher")
    page = tab.page
    await sign_up_teacher(page)
    await page.check("input[name=source][value=track]")
    await expect(page.locator("#track-field")).to_be_visible()
    await expect(page.locator("#range-fields")).to_be_hidden()
    await page.select_option("#room-track", label="Division to 12 × 12 (÷)")
    await expect(page.locator("#room-operation")).to_have_value("÷")
    await page.fill("#room-title", "Division facts")
    await page.click("#room-form button[type=submit]")
    await expect(page.locator("#room-created")).to_be_visible()
    await page.locator("#room-list li", has_text="Division facts").wait_for()
    async with db.engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT operation, track_id, min_operand FROM rooms WHERE title = 'Division facts' "
            "ORDER BY created_at DESC LIMIT 1"))).one()
    assert row.operation == "÷" and row.track_id == track_id("division-12") and row.min_operand is None
    tab.assert_clean()
