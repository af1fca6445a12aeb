"""Display preferences, colour contrast in every scheme, and reduced motion, in Chromium."""

from __future__ import annotations

import re

import pytest

SCHEMES = ["default", "dark", "high_contrast"]

# Pairs a page shows: (foreground selector, its property, background selector, its property).
PAIRS = [
    ("body", "color", "body", "backgroundColor"),
    ("#code-help", "color", ".card", "backgroundColor"),
    ("label", "color", ".card", "backgroundColor"),
    ("button[type=submit]", "color", "button[type=submit]", "backgroundColor"),
    ("a", "color", "body", "backgroundColor"),
    ("#tab-key", "color", "body", "backgroundColor"),
]


def _rgb(css: str) -> tuple[float, float, float]:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])
    return r, g, b


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    hi, lo = sorted((_luminance(_rgb(fg)), _luminance(_rgb(bg))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_text_meets_wcag_aa_contrast_in_every_scheme(open_tab, scheme):
    tab = await open_tab("/join")
    page = tab.page
    await page.select_option("#pref-scheme", scheme)
    for fg_sel, fg_prop, bg_sel, bg_prop in PAIRS:
        fg = await page.eval_on_selector(fg_sel, f"e => getComputedStyle(e).{fg_prop}")
        bg = await page.eval_on_selector(bg_sel, f"e => getComputedStyle(e).{bg_prop}")
        ratio = contrast(fg, bg)
        assert ratio >= 4.5, f"{scheme}: {fg_sel} {fg} on {bg_sel} {bg} is {ratio:.2f}:1"
    tab.assert_clean()


async def test_preferences_apply_at_once_and_follow_to_other_pages(open_tab):
    tab = await open_tab("/join")
    page = tab.page
    base = await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    await page.select_option("#pref-size", "x-large")
    await page.select_option("#pref-scheme", "high_contrast")
    classes = await page.evaluate("document.documentElement.className")
    assert "size-x-large" in classes and "scheme-high_contrast" in classes
    bigger = await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert bigger > base
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    await page.goto("/teacher")
    await page.wait_for_selector("#login-form")
    classes = await page.evaluate("document.documentElement.className")
    assert "size-x-large" in classes and "scheme-high_contrast" in classes
    assert await page.input_value("#pref-scheme") == "high_contrast"
    tab.assert_clean()


@pytest.mark.parametrize(("motion", "expected"), [("reduce", "none"), ("no-preference", "pop")])
async def test_animations_stop_when_the_user_prefers_reduced_motion(open_tab, motion, expected):
    tab = await open_tab(None, reduced_motion=motion)
    await tab.page.goto("/play")  # no game: it goes back to /join, with play.css loaded there
    await tab.page.wait_for_url("**/join")
    name = await tab.page.evaluate("""() => {
        const el = document.createElement('div');
        el.className = 'pop';
        document.body.append(el);
        return getComputedStyle(el).animationName;
    }""")
    assert name == expected


async def test_join_page_is_labelled_for_screen_readers(open_tab):
    tab = await open_tab("/join")
    page = tab.page
    for field in ["#code", "#nickname"]:
        label = await page.eval_on_selector(field, "e => e.labels[0].textContent.trim()")
        assert label
    assert await page.get_attribute("#code", "inputmode") == "numeric"
    assert await page.get_attribute("#join-notice", "role") == "alert"
    # Every button has a name a screen reader can read.
    unnamed = await page.eval_on_selector_all(
        "button", "bs => bs.filter(b => !(b.getAttribute('aria-label') || b.textContent.trim())).length")
    assert unnamed == 0


NARROW = {"width": 320, "height": 640}
X_LARGE = '{"font_size": "x-large", "color_scheme": "default"}'


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_the_focus_ring_stands_out_and_leaves_the_help_text_readable(open_tab, scheme):
    """WCAG 1.4.11: the ring is at least 3:1 against what is around it (the page and the
    card the field sits on), and it does not cover the help line under the field."""
    tab = await open_tab("/join")
    page = tab.page
    await page.select_option("#pref-scheme", scheme)
    await page.click("#code")
    await page.keyboard.press("Tab")  # the keyboard's focus: :focus-visible
    assert await page.evaluate("document.activeElement.id") == "nickname"
    ring = await page.eval_on_selector("#nickname", """e => {
        const s = getComputedStyle(e);
        return {color: s.outlineColor, width: parseFloat(s.outlineWidth), offset: parseFloat(s.outlineOffset),
                style: s.outlineStyle, bottom: e.getBoundingClientRect().bottom};
    }""")
    assert ring["style"] != "none" and ring["width"] >= 2
    for around in ("body", ".card"):
        bg = await page.eval_on_selector(around, "e => getComputedStyle(e).backgroundColor")
        assert contrast(ring["color"], bg) >= 3, f"{scheme}: ring {ring['color']} on {around} {bg}"
    help_top = await page.eval_on_selector("#nickname-help", "e => e.getBoundingClientRect().top")
    assert ring["bottom"] + ring["offset"] + ring["width"] <= help_top
    tab.assert_clean()


@pytest.mark.parametrize("path", ["/join", "/teacher", "/grid"])
async def test_extra_large_text_fits_a_320_pixel_screen(open_tab, path):
    tab = await open_tab(None, viewport=NARROW)
    await tab.page.add_init_script(f"localStorage.setItem('mathrally.prefs', '{X_LARGE}')")
    await tab.page.goto(path)
    await tab.page.wait_for_load_state("networkidle")
    assert "size-x-large" in await tab.page.evaluate("document.documentElement.className")
    overflow = await tab.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} is {overflow}px too wide"
    tab.assert_clean()


async def test_a_refused_name_is_marked_invalid_where_it_was_typed(open_tab, live_server):
    """A name the filter refuses comes back to /join as the name field's error: said next to
    it, aria-invalid, focused, and it asks for another name (it is not a length problem)."""
    from tests.web.game_driver import create_room, sign_up_teacher

    teacher = await open_tab("/teacher")
    await sign_up_teacher(teacher.page)
    room = await create_room(teacher.page)
    tab = await open_tab(f"/join?code={room['code']}")
    page = tab.page
    await page.fill("#nickname", "sh1t")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/join?*error=invalid_nickname*")
    await page.wait_for_selector("#nickname[aria-invalid=true]")
    error = await page.text_content("#nickname-error")
    assert "choose another name" in error and "20" not in error
    assert await page.evaluate("document.activeElement.id") == "nickname"
    described = await page.get_attribute("#nickname", "aria-describedby")
    assert "nickname-error" in described.split()
    # Names that hold a bad word inside them are names: they join.
    for name in ("Spicer", "Scunthorpe"):
        other = await open_tab(f"/join?code={room['code']}")
        await other.page.fill("#nickname", name)
        await other.page.keyboard.press("Enter")
        await other.page.wait_for_selector("[data-view=lobby]", state="visible")
        other.assert_clean()
    tab.assert_clean()
