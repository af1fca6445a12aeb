"""The projector's class heat map at 1920×1080, in Chromium: read from the back of a classroom
whatever was played. One fact played is one large tile naming it (a real game); a handful are
tiles that share the space; a whole table is the full grid, every cell inside the panel; a few
facts far apart keep only the rows and columns played."""

from __future__ import annotations

from playwright.async_api import expect

from tests.web.conftest import PROJECTOR
from tests.web.game_driver import (
    answer_by_keyboard,
    create_room,
    join_as_student,
    sign_up_teacher,
    solve,
    wait_for_question,
)

BIG = 200  # px: a tile or cell this size reads across a classroom


async def reveal_with(open_tab, facts: list[tuple[int, int, int, int]]):
    """The projector page (no game) on its reveal view, the heat map holding `facts`
    (a, b, answered, correct) as the game's questions would have left it; returns the tab
    and the size of each tile or cell that holds a fact, and the panel's box."""
    tab = await open_tab("/screen", viewport=PROJECTOR, bypass_csp=True)
    boxes = await tab.page.evaluate("""async (facts) => {
        for (const v of document.querySelectorAll('[data-view]')) v.hidden = v.dataset.view !== 'reveal';
        const { HeatMap } = await import('/static/js/heatmap.js');
        const map = new HeatMap(document.getElementById('heatmap'));
        for (const [a, b, answered, correct] of facts) {
            map.open({ operand1: a, operand2: b, operation: '×' });
            map.close({ answered, correct });
        }
        const box = (e) => {
            const r = e.getBoundingClientRect();
            return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                    width: r.width, height: r.height};
        };
        return {
            filled: [...document.querySelectorAll('#heatmap .hm-tile, #heatmap .hm-cell[aria-label]')]
                .map(box),
            cells: document.querySelectorAll('#heatmap .hm-cell').length,
            panel: box(document.getElementById('heat-wrap')),
        };
    }""", [list(f) for f in facts])
    return tab, boxes


def inside(box: dict, panel: dict) -> bool:
    return (box["left"] >= panel["left"] - 1 and box["right"] <= panel["right"] + 1
            and box["top"] >= panel["top"] - 1 and box["bottom"] <= panel["bottom"] + 1)


async def test_one_fact_played_is_one_large_tile_on_the_projector(open_tab):
    teacher = await open_tab("/teacher", viewport=PROJECTOR)
    await sign_up_teacher(teacher.page)
    room = await create_room(teacher.page, low=2, high=9, questions=1, seconds=30)
    screen = await open_tab(room["screen_url"], viewport=PROJECTOR)
    await teacher.page.goto(room["host_url"])
    student = await open_tab(None)
    await join_as_student(student.page, room["code"], "Ada")
    await teacher.page.click("#btn-start")
    prompt = await wait_for_question(student.page, 0)
    await answer_by_keyboard(student.page, solve(prompt))
    await screen.page.wait_for_selector("[data-view=reveal]", state="visible")
    tile = screen.page.locator("#heatmap .hm-tile")
    await expect(tile).to_have_count(1)
    fact = prompt.replace(" = ?", "")
    await expect(tile.locator(".hm-fact")).to_have_text(fact)
    await expect(tile.locator(".hm-share")).to_have_text("100%")
    await expect(tile).to_have_attribute("aria-label", f"{fact}: 100% correct")
    box = await tile.bounding_box()
    assert box["width"] >= BIG and box["height"] >= BIG, box
    text_px = await tile.locator(".hm-fact").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert text_px >= 48, text_px  # the fact itself, not only its colour, reads from the back
    panel = await screen.page.locator("#heat-wrap").bounding_box()
    assert box["y"] + box["height"] <= panel["y"] + panel["height"] + 1
    for tab in (teacher, screen, student):
        tab.assert_clean()


async def test_a_few_facts_share_the_space_as_large_tiles(open_tab):
    tab, boxes = await reveal_with(open_tab, [(2, 3, 4, 3), (7, 8, 4, 1), (12, 4, 4, 4)])
    assert len(boxes["filled"]) == 3
    for box in boxes["filled"]:
        assert box["width"] >= BIG and box["height"] >= BIG, box
        assert inside(box, boxes["panel"]), (box, boxes["panel"])
    tab.assert_clean()


async def test_a_whole_table_played_is_the_full_grid_inside_the_panel(open_tab):
    facts = [(a, b, 4, (a + b) % 5) for a in range(2, 13) for b in range(2, 13)]
    tab, boxes = await reveal_with(open_tab, facts)
    assert boxes["cells"] == 121 and len(boxes["filled"]) == 121
    for box in boxes["filled"]:
        assert inside(box, boxes["panel"]), (box, boxes["panel"])
        assert box["width"] >= 45 and box["height"] >= 35, box
    await expect(tab.page.locator("#heatmap [role=columnheader]")).to_have_count(12)  # × and 2…12
    await expect(tab.page.locator("#heatmap [role=rowheader]")).to_have_count(11)
    tab.assert_clean()


async def test_a_small_table_played_fills_the_panel_with_large_cells(open_tab):
    facts = [(a, b, 4, 2) for a in range(2, 6) for b in range(2, 6)]
    tab, boxes = await reveal_with(open_tab, facts)
    assert boxes["cells"] == 16
    for box in boxes["filled"]:
        assert box["width"] >= 180 and box["height"] >= 140, box
        assert inside(box, boxes["panel"]), (box, boxes["panel"])
    tab.assert_clean()


async def test_facts_far_apart_keep_only_the_rows_and_columns_played(open_tab):
    facts = [(2, 3, 4, 4), (5, 9, 4, 2), (7, 4, 4, 0), (9, 11, 4, 1), (12, 6, 4, 3)]
    tab, boxes = await reveal_with(open_tab, facts)
    assert boxes["cells"] == 25  # 5 rows × 5 columns, not 11 × 9 mostly empty
    rows = await tab.page.locator("#heatmap [role=rowheader]").all_text_contents()
    assert rows == ["2", "5", "7", "9", "12"]
    for box in boxes["filled"]:
        assert box["width"] >= 120 and inside(box, boxes["panel"]), box
    tab.assert_clean()
