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
