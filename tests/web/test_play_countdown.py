"""The countdown ring on the phone, in Chromium, beside the projector's: it runs down during a
question, it follows the student's own deadline, and with motion reduced (the system's setting
or the page's Motion choice) neither ring sweeps: each moves only in whole-second steps with
its number, and nothing on the page animates."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import create_room, join_as_student, sign_up_teacher, wait_for_question

# Samples the ring every 50 ms for `ms`: when (ms), its remaining share (1 − offset/100), the
# seconds shown with it, and how many animations (CSS or scripted) were running.
SAMPLE = """async ([ring, seconds, ms]) => {
    const samples = [];
    const end = performance.now() + ms;
    while (performance.now() < end) {
        samples.push({
            at: performance.now(),
            left: 1 - parseFloat(document.querySelector(ring).style.strokeDashoffset || '0') / 100,
            seconds: parseInt(document.querySelector(seconds).textContent, 10),
            animations: document.getAnimations().length,
        });
        await new Promise((r) => setTimeout(r, 50));
    }
    return samples;
}"""


async def start_game(open_tab, *, seconds: int, motion: str = "no-preference",
                     page_motion: str | None = None):
    """A one-question game with one student (reduced motion as asked, on the phone and the
    projector), started; returns (teacher, screen, student)."""
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    room = await create_room(teacher.page, questions=1, seconds=seconds)
    screen = await open_tab(None, viewport=PROJECTOR, reduced_motion=motion)
    student = await open_tab(None, reduced_motion=motion)
    if page_motion is not None:
        for tab in (screen, student):
            await tab.page.add_init_script(
                f"localStorage.setItem('mathrally.prefs', JSON.stringify({{motion: '{page_motion}'}}))")
    await screen.page.goto(room["screen_url"])
    await join_as_student(student.page, room["code"], "Ada")
    await teacher.page.goto(room["host_url"])
    await teacher.page.click("#btn-start")
    await wait_for_question(student.page, 0)
    await screen.page.wait_for_selector("[data-view=question]", state="visible")
    return teacher, screen, student


async def test_the_phone_shows_a_countdown_ring_that_runs_down(open_tab):
    teacher, screen, student = await start_game(open_tab, seconds=20)
    page = student.page
    ring = page.locator("#play-timer")
    await expect(ring).to_be_visible()
    await expect(page.locator("#timer-bar, .timer-bar")).to_have_count(0)  # a ring, not a bar
    box = await ring.bounding_box()
    assert box["width"] >= 56 and abs(box["width"] - box["height"]) < 1, box
    samples = await page.evaluate(SAMPLE, ["#timer-ring", "#timer-seconds", 1500])
    first, last = samples[0], samples[-1]
    assert 0.85 <= first["left"] <= 1 and last["left"] < first["left"]  # it runs down
    lefts = [s["left"] for s in samples]
    assert lefts == sorted(lefts, reverse=True)
    # It sweeps: it moves between the seconds, not only when the number changes.
    assert len(set(lefts)) > len({s["seconds"] for s in samples}) + 3
    for s in samples:  # the ring and the number agree
        assert s["seconds"] - 1 <= s["left"] * 20 <= s["seconds"] + 0.01, s
    for tab in (teacher, screen, student):
        tab.assert_clean()


@pytest.mark.parametrize(("motion", "page_motion"), [("reduce", None), ("no-preference", "reduce")],
                         ids=["system-setting", "page-motion-choice"])
async def test_with_motion_reduced_neither_ring_sweeps(open_tab, motion, page_motion):
    teacher, screen, student = await start_game(open_tab, seconds=20, motion=motion, page_motion=page_motion)
    rings = {"phone": (student, "#timer-ring", "#timer-seconds"),
             "projector": (screen, "#screen-ring", "#screen-seconds")}
    for where, (tab, ring, seconds) in rings.items():
        if page_motion:
            assert "motion-reduce" in await tab.page.evaluate("document.documentElement.className"), where
        samples = await tab.page.evaluate(SAMPLE, [ring, seconds, 2500])
        shown = {s["seconds"] for s in samples}
        assert len(shown) >= 2, (where, shown)  # the time went on
        # One position per second shown, the whole second's: it steps with the number.
        assert {round(s["left"], 6) for s in samples} == {round(n / 20, 6) for n in shown}, where
        for s in samples:
            assert s["left"] == pytest.approx(s["seconds"] / 20), (where, s)
            assert s["animations"] == 0, (where, s)
        transition = await tab.page.eval_on_selector(ring, "e => getComputedStyle(e).transitionDuration")
        assert transition == "0s", where
    for tab in (teacher, screen, student):
        tab.assert_clean()
