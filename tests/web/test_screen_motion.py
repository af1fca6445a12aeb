"""The projector's show, in Chromium: the podium rises third, second, first; leaderboard rows
slide to their new places; all of it stops for a reduced-motion setting (the system's or the
page's own Motion choice); sound is off until the toggle turns it on."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import PROJECTOR

PODIUM = "[{nickname: 'Ada', score: 30}, {nickname: 'Grace', score: 20}, {nickname: 'Alan', score: 10}]"
BOARD = "(names) => names.map((n, i) => ({rank: i + 1, player_id: n, nickname: n, score: 10 - i}))"


async def projector(open_tab, *, system: str = "no-preference", page_motion: str | None = None):
    """The projector page with no game (its modules loaded), a test list on it."""
    tab = await open_tab("/screen", viewport=PROJECTOR, reduced_motion=system, bypass_csp=True)
    if page_motion is not None:
        await tab.page.evaluate(
            f"localStorage.setItem('mathrally.prefs', JSON.stringify({{motion: '{page_motion}'}}))")
        await tab.page.reload()
    await tab.page.evaluate("""() => {
        for (const id of ['t-podium', 't-board']) {
            const ol = document.createElement('ol');
            ol.id = id;
            ol.className = id === 't-podium' ? 'podium screen-podium' : 'leaders screen-leaders';
            document.body.prepend(ol);
        }
    }""")
    return tab


async def test_the_podium_rises_third_then_second_then_first(open_tab):
    tab = await projector(open_tab)
    steps = await tab.page.evaluate(f"""async () => {{
        const {{ renderPodium }} = await import('/static/js/board.js');
        const ol = document.getElementById('t-podium');
        const steps = [];
        ol.addEventListener('podium-step', (e) => steps.push([e.detail, performance.now()]));
        renderPodium(ol, {PODIUM});
        const hidden = getComputedStyle(ol.querySelector('.p1')).opacity;
        await new Promise((r) => setTimeout(r, 3000));
        return {{steps, hidden}};
    }}""")
    assert steps["hidden"] == "0"  # the winner waits unseen for its turn
    order = [s[0] for s in steps["steps"]]
    assert order == ["p3", "p2", "p1"]
    times = [s[1] for s in steps["steps"]]
    assert times[1] - times[0] >= 1000 and times[2] - times[1] >= 1000
    tab.assert_clean()


async def test_leaderboard_rows_slide_to_their_new_places(open_tab):
    tab = await projector(open_tab)
    moving = await tab.page.evaluate(f"""async () => {{
        const {{ renderLeaders }} = await import('/static/js/board.js');
        const ol = document.getElementById('t-board');
        const board = {BOARD};
        renderLeaders(ol, board(['Ada', 'Grace', 'Alan']));
        renderLeaders(ol, board(['Alan', 'Ada', 'Grace']));
        return document.getAnimations().map((a) => a.effect.target.dataset.key).sort();
    }}""")
    assert moving == ["Ada", "Alan", "Grace"]  # every row changed place: each one slides
    tab.assert_clean()


@pytest.mark.parametrize(("system", "page_motion"), [("reduce", None), ("no-preference", "reduce")],
                         ids=["system-setting", "page-motion-choice"])
async def test_reduced_motion_shows_everything_at_once(open_tab, system, page_motion):
    tab = await projector(open_tab, system=system, page_motion=page_motion)
    result = await tab.page.evaluate(f"""async () => {{
        const {{ renderLeaders, renderPodium }} = await import('/static/js/board.js');
        const podium = document.getElementById('t-podium');
        const steps = [];
        podium.addEventListener('podium-step', (e) => steps.push(e.detail));
        renderPodium(podium, {PODIUM});
        const shownAtOnce = podium.querySelectorAll('li.shown').length;
        const ol = document.getElementById('t-board');
        const board = {BOARD};
        renderLeaders(ol, board(['Ada', 'Grace', 'Alan']));
        renderLeaders(ol, board(['Alan', 'Ada', 'Grace']));
        const names = document.createElement('ul');
        names.className = 'names';
        names.append(document.createElement('li'));
        document.body.append(names);
        return {{shownAtOnce, steps, animations: document.getAnimations().length,
                 css: getComputedStyle(podium.querySelector('.p1')).animationName,
                 arrive: getComputedStyle(names.firstChild).animationName}};
    }}""")
    assert result["shownAtOnce"] == 3 and result["steps"] == ["p3", "p2", "p1"]
    assert result["animations"] == 0
    assert result["css"] == "none" and result["arrive"] == "none"
    tab.assert_clean()


async def test_the_motion_and_sound_toggles_on_the_projector(open_tab):
    tab = await projector(open_tab)
    page = tab.page
    sound = page.locator("#sound-toggle")
    await expect(sound).to_have_text("Sound: off")  # off by default
    await expect(sound).to_have_attribute("aria-pressed", "false")
    await sound.click()
    await expect(sound).to_have_text("Sound: on")
    await expect(sound).to_have_attribute("aria-pressed", "true")
    assert await page.evaluate("localStorage.getItem('mathrally.sound')") == "on"

    motion = page.locator("#motion-toggle")
    await expect(motion).to_have_text("Motion: on")
    await motion.click()
    await expect(motion).to_have_text("Motion: reduced")
    assert "motion-reduce" in await page.evaluate("document.documentElement.className")
    await page.reload()  # kept on the device
    assert "motion-reduce" in await page.evaluate("document.documentElement.className")
    await expect(page.locator("#motion-toggle")).to_have_text("Motion: reduced")
    await expect(page.locator("#sound-toggle")).to_have_text("Sound: on")
    tab.assert_clean()
