"""The dyslexia-friendly font and the colour-blind-safe palette in Chromium: chosen in a page's
header, applied to /practice (its number pad too), /grid and /play, kept on the student's account
so that another device shows them, and measured: the vendored font really loads, and the palette's
colours keep their contrast and stay apart under deuteranopia and protanopia."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import expect
from sqlalchemy import text

from persistence.curriculum.seed import seed_curriculum
from tests.web.colour_vision import closest_pair, difference
from tests.web.conftest import PROJECTOR
from tests.web.test_accessibility import SCHEMES, contrast
from tests.web.test_grid_page import MULTIPLICATION, give_progress
from tests.web.test_practice_page import answer_shown_fact, new_student

LEVELS = ["not_started", "learning", "accuracy", "fluency_6s", "fluency_3s_2s", "mastered"]
COLOUR_VISION = ["deuteranopia", "protanopia"]
# Far more than just noticeable (about 2): the squares are small and read at a glance.
LEVELS_APART = 15.0
ANSWERS_APART = 25.0

FONT_STATE = """async () => {
    await document.fonts.ready;
    const faces = [...document.fonts].filter((f) => f.family.replace(/["']/g, "") === "OpenDyslexic");
    return {
        html: document.documentElement.className,
        heading: getComputedStyle(document.querySelector("h1:not([hidden])") || document.body).fontFamily,
        body: getComputedStyle(document.body).fontFamily,
        loaded: faces.filter((f) => f.status === "loaded").map((f) => f.weight).sort(),
    };
}"""

# The palette's colours as the page resolves them on <html> (the variables app.css defines).
PALETTE_STATE = """(levelNames) => {
    const probe = document.body.appendChild(document.createElement("i"));
    const v = (n) => { probe.style.color = `var(${n})`; return getComputedStyle(probe).color; };
    const levels = Object.fromEntries(levelNames.map((l) => [l, v(`--lvl-${l}`)]));
    const state = {levels, mastered_text: v("--lvl-text-mastered"), surface: v("--surface"), bg: v("--bg"),
            good: v("--good"), good_bg: v("--good-bg"), bad: v("--bad"), bad_bg: v("--bad-bg"),
            late: v("--late"), late_bg: v("--late-bg")};
    probe.remove();
    return state;
}"""
CELL_TEXT = "rgb(27, 31, 42)"  # #1b1f2a in grid.css: the text on every level's square but mastered


def in_font(font_family: str) -> bool:
    """Whether a computed font-family asks for the vendored font first."""
    return font_family.split(",")[0].strip().strip("'\"") == "OpenDyslexic"


async def student_id(db, key: str) -> str:
    async with db.engine.connect() as conn:
        return str(await conn.scalar(text(
            "SELECT user_id FROM class_students WHERE student_key = :k"), {"k": key}))


async def stored_prefs(db, user_id: str) -> tuple[str, str]:
    async with db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT font_family, palette FROM users WHERE id = :u"),
                                  {"u": user_id})).one()
    return row[0], row[1]


async def stored_becomes(db, user_id: str, expected: tuple[str, str]) -> None:
    """Waits (up to 5 s) for the page's PATCH to have stored `expected` (font_family, palette)."""
    for _ in range(50):
        if await stored_prefs(db, user_id) == expected:
            return
        await asyncio.sleep(0.1)
    assert await stored_prefs(db, user_id) == expected


async def sign_in_practice(page, key: str) -> None:
    await page.goto("/practice")
    await page.fill("#student-key", key)
    await page.keyboard.press("Enter")
    await expect(page.locator("#hello")).to_have_text("Hi, Ada!")


async def test_the_dyslexia_font_loads_on_every_student_page_and_follows_the_student(open_tab, db):
    await seed_curriculum(db)
    _, key, _ = await new_student(open_tab)
    user_id = await student_id(db, key)
    tab = await open_tab(None)
    page = tab.page
    fonts_served = []
    page.on("response", lambda r: fonts_served.append((r.url.split("/vendor/")[-1], r.status,
                                                       r.headers.get("content-type")))
            if r.url.endswith(".woff2") else None)
    await sign_in_practice(page, key)
    before = await page.evaluate(FONT_STATE)
    assert not in_font(before["heading"]) and before["loaded"] == []
    assert fonts_served == []  # nobody who does not choose it downloads it

    await page.select_option("#pref-font", "dyslexia")
    after = await page.evaluate(FONT_STATE)
    assert "font-dyslexia" in after["html"]
    assert in_font(after["heading"]) and in_font(after["body"])
    assert after["loaded"] == ["400", "700"]  # regular and bold, from this server
    assert sorted(fonts_served) == [(f"fonts/opendyslexic-latin-{weight}-normal.woff2", 200, "font/woff2")
                                    for weight in (400, 700)]
    # Stored on the account as soon as it is chosen.
    await stored_becomes(db, user_id, ("dyslexia", "standard"))

    # The practice question: the prompt, the answer box and the number pad are in the font too.
    await page.locator("li.track button", has_text="Start").first.click()
    await expect(page.locator("#q-progress")).to_have_text("Fact 1 of 10")
    families = await page.evaluate("""() => ["#prompt", "#answer", "#pad button", "#submit"].map(
        (s) => getComputedStyle(document.querySelector(s)).fontFamily)""")
    assert all(in_font(f) for f in families), families

    # A reload keeps it, and so does the live game's page on this device.
    await page.reload()
    await expect(page.locator("#pref-font")).to_have_value("dyslexia")
    assert in_font((await page.evaluate(FONT_STATE))["body"])
    await page.goto("/play")
    state = await page.evaluate(FONT_STATE)
    assert "font-dyslexia" in state["html"] and in_font(state["body"])
    tab.assert_clean()

    # Another device (fresh storage): the student's grid, once signed in, uses it as well.
    other = await open_tab(f"/grid?track_id={MULTIPLICATION}", viewport=PROJECTOR)
    await expect(other.page.locator("html")).not_to_have_class("font-dyslexia")
    await other.page.fill("#grid-key", key)
    await other.page.keyboard.press("Enter")
    await expect(other.page.locator("#grid-title")).to_have_text("My progress, Ada")
    await expect(other.page.locator("html")).to_have_class("size-medium scheme-default font-dyslexia")
    await expect(other.page.locator("#pref-font")).to_have_value("dyslexia")
    assert (await other.page.evaluate(FONT_STATE))["loaded"] != []
    # Turned off there, it is off on the first device at its next load.
    await other.page.select_option("#pref-font", "standard")
    await stored_becomes(db, user_id, ("standard", "standard"))
    await page.goto("/practice")  # back into the session this tab left
    await expect(page.locator("#q-progress")).to_have_text("Fact 1 of 10")
    await expect(page.locator("html")).to_have_class("size-medium scheme-default")
    assert not in_font((await page.evaluate(FONT_STATE))["body"])
    other.assert_clean()


async def cell_colours(page) -> dict[str, str]:
    """The background of one grid square and one legend swatch for each level shown."""
    return await page.evaluate("""() => {
        const out = {};
        for (const el of document.querySelectorAll("#grid td[class^='lvl-'], #legend .swatch")) {
            const level = [...el.classList].find((c) => c.startsWith("lvl-"));
            out[`${el.tagName === "TD" ? "cell" : "legend"} ${level}`] = getComputedStyle(el).backgroundColor;
        }
        return out;
    }""")


async def feedback_colours(page) -> dict[str, str]:
    return await page.eval_on_selector("#feedback", """(e) => {
        const s = getComputedStyle(e), mark = getComputedStyle(e.querySelector(".mark"));
        return {kind: e.className.split(" ")[1], text: s.color, bg: s.backgroundColor, border: s.borderColor,
                mark: mark.fill || mark.color, shape: e.querySelector(".mark").getAttribute("class")};
    }""")


async def test_the_colour_blind_palette_recolours_the_grid_and_the_answers(open_tab, db):
    await seed_curriculum(db)
    _, key, _ = await new_student(open_tab)
    user_id = await student_id(db, key)
    levels = await give_progress(db, user_id)
    tab = await open_tab(f"/grid?track_id={MULTIPLICATION}")
    page = tab.page
    await page.fill("#grid-key", key)
    await page.keyboard.press("Enter")
    await expect(page.locator("#grid td.lvl-mastered")).to_have_count(1)
    standard = await cell_colours(page)

    await page.select_option("#pref-palette", "colour_blind")
    safe = await cell_colours(page)
    assert set(safe) == set(standard) and len(safe) >= 6 + len(set(levels.values())) + 1
    # Every level but "not started" changes colour; the squares keep their symbols.
    changed = {name for name in safe if safe[name] != standard[name]}
    assert changed == {name for name in safe if not name.endswith("not_started")}
    await expect(page.locator("#grid td.lvl-mastered .cell-symbol")).not_to_have_text("")
    await stored_becomes(db, user_id, ("standard", "colour_blind"))
    # Apart under colour-blind vision, where the standard palette's levels run together.
    legend = {n: c for n, c in safe.items() if n.startswith("legend")}
    legend_standard = {n: c for n, c in standard.items() if n.startswith("legend")}
    for vision in COLOUR_VISION:
        assert closest_pair(legend, vision)[0] >= LEVELS_APART, (vision, closest_pair(legend, vision))
        assert closest_pair(legend_standard, vision)[0] < LEVELS_APART
    await page.reload()
    await expect(page.locator("#grid td.lvl-mastered")).to_have_count(1)
    await expect(page.locator("#pref-palette")).to_have_value("colour_blind")
    assert await cell_colours(page) == safe

    # A practice answer, wrong then right: blue for right, orange for wrong, each with its shape.
    await page.goto("/practice")
    await expect(page.locator("#hello")).to_have_text("Hi, Ada!")
    await page.locator("li.track button", has_text="Start").first.click()
    await expect(page.locator("#q-progress")).to_have_text("Fact 1 of 10")
    await answer_shown_fact(page, right=False)
    await expect(page.locator("#feedback")).to_have_class("feedback bad pop")
    wrong = await feedback_colours(page)
    await page.keyboard.press("Enter")
    await expect(page.locator("#q-progress")).to_have_text("Fact 2 of 10")
    await answer_shown_fact(page)
    await expect(page.locator("#feedback")).to_have_class("feedback good pop")
    right = await feedback_colours(page)
    assert "mark-bad" in wrong["shape"] and "mark-good" in right["shape"]
    assert (right["text"], wrong["text"]) == ("rgb(0, 90, 156)", "rgb(161, 63, 0)")
    for shown in (right, wrong):
        assert contrast(shown["text"], shown["bg"]) >= 4.5 and contrast(shown["mark"], shown["bg"]) >= 3
    for vision in COLOUR_VISION:
        assert difference(right["text"], wrong["text"], vision) >= ANSWERS_APART
        assert difference(right["bg"], wrong["bg"], vision) >= LEVELS_APART
    tab.assert_clean()

    # Another device, signed in: the same palette on the same answers.
    other = await open_tab(None, viewport=PROJECTOR)
    await sign_in_practice(other.page, key)
    await expect(other.page.locator("html")).to_have_class("size-medium scheme-default palette-colour_blind")
    await expect(other.page.locator("#pref-palette")).to_have_value("colour_blind")
    other.assert_clean()


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_the_colour_blind_palette_keeps_contrast_and_stays_apart_in_every_scheme(open_tab, scheme):
    tab = await open_tab("/grid")
    page = tab.page
    await page.select_option("#pref-scheme", scheme)
    standard = await page.evaluate(PALETTE_STATE, LEVELS)
    await page.select_option("#pref-palette", "colour_blind")
    safe = await page.evaluate(PALETTE_STATE, LEVELS)
    assert safe != standard
    for level, colour in safe["levels"].items():
        ink = safe["mastered_text"] if level == "mastered" else CELL_TEXT
        if level == "not_started":
            continue  # the page's own square (text in --text), not the palette's
        assert contrast(ink, colour) >= 4.5, (scheme, level, colour)
    for state in ("good", "bad", "late"):
        for behind in (safe[f"{state}_bg"], safe["surface"], safe["bg"]):
            assert contrast(safe[state], behind) >= 4.5, (scheme, state, safe[state], behind)
    answers = {state: safe[state] for state in ("good", "bad", "late")}
    for vision in COLOUR_VISION:
        assert closest_pair(safe["levels"], vision)[0] >= LEVELS_APART, (scheme, vision)
        assert closest_pair(answers, vision)[0] >= ANSWERS_APART, (scheme, vision)
    tab.assert_clean()
