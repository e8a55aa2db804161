"""Layouts that fit: at 80x24 the header is one line with the health, the footer always shows `?`
and `q`, columns never clip (AGE kept, names end in an ellipsis), the tab bar is clickable."""

from __future__ import annotations

import pytest
from seed import LONG_POD, crashloop_store, healthy_store, long_names_store, offline
from textual.pilot import Pilot
from tui_helpers import screen_text, until

from devstack.core.store import Store
from devstack.tui.app import DevstackApp
from devstack.tui.widgets.footer import Shown, fitting
from devstack.tui.widgets.logpane import LogPane
from devstack.tui.widgets.table import KeyedTable, fit_widths

STORES = {"healthy": healthy_store, "crashloop": crashloop_store, "long names": long_names_store}
SIZES = [(80, 24), (100, 30), (120, 34), (160, 50)]


async def _settled(pilot: Pilot[object], app: DevstackApp) -> list[str]:
    """The screen's lines once every pane is painted and measured."""
    await until(pilot, lambda: app.main.ready and app.main.pane("pods").keys, what="the panes")

    def measured() -> bool:
        return all(
            not t._require_update_dimensions and not t._updated_cells for t in app.main.query(KeyedTable)
        )

    await until(pilot, measured, what="the tables measured")
    await pilot.pause(0.2)
    return screen_text(app).splitlines()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("seeded", list(STORES))
async def test_header_health_and_the_footers_help_and_quit_always_show(
    seeded: str, size: tuple[int, int]
) -> None:
    store: Store = STORES[seeded]()
    app = DevstackApp(offline(store))
    async with app.run_test(size=size) as pilot:
        lines = await _settled(pilot, app)
        width, _height = size
        header = lines[:2] if width >= 120 else lines[:1]
        assert any("health ✓" in line or "health ✗" in line for line in header), header
        if width < 120:  # one line: the steps bar follows at once
            assert lines[1].lstrip().startswith("up "), lines[:3]
        footer = lines[-1]
        assert "? Help" in footer and "q Quit" in footer, footer
        assert len(footer.rstrip()) <= width


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_long_pod_names_end_in_an_ellipsis_and_age_stays_right_aligned(size: tuple[int, int]) -> None:
    app = DevstackApp(offline(long_names_store()))
    async with app.run_test(size=size) as pilot:
        lines = await _settled(pilot, app)
        head = next(line for line in lines if "NAME" in line and "AGE" in line)
        row = next(line for line in lines if "jetscale-notifications" in line)
        pane = head[: head.index("AGE") + 3]
        assert pane.rstrip().endswith("AGE")
        assert row[: len(pane)].rstrip().endswith("10m"), (head, row)  # AGE on screen, right-aligned
        assert "…" in row and LONG_POD not in row  # the name gave way
        pods = app.main.pane("pods")
        assert pods.virtual_size.width <= pods.size.width  # nothing to scroll sideways


async def test_a_wide_pane_shows_long_names_whole() -> None:
    app = DevstackApp(offline(long_names_store()))
    async with app.run_test(size=(320, 60)) as pilot:
        lines = await _settled(pilot, app)
        assert any(LONG_POD in line for line in lines)


async def test_the_tab_bar_is_clickable_at_80x24() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot, app)
        assert app.main.compact and app.main.selected_tab == "log"
        await pilot.click("#tab-events")
        await until(pilot, lambda: app.main.selected_tab == "events", what="the Events tab")
        assert app.main.query_one("#events").display and not app.main.query_one("#log").display
        assert "REASON" in screen_text(app)


async def test_the_log_keeps_its_last_line_on_screen_when_it_gets_shorter() -> None:
    """The crash-loop log (10 lines) overflows its pane at 80x24. A pane that shrinks (the footer
    mounted after the first lines: the race behind the snapshot hang; a smaller terminal) still
    ends on the last line; a pane the user scrolled up stays where the user put it."""
    app = DevstackApp(offline(crashloop_store()))
    async with app.run_test(size=(80, 24)) as pilot:
        await _settled(pilot, app)
        log = app.main.query_one(LogPane)
        await until(
            pilot, lambda: log.line_count and log.scroll_y == log.max_scroll_y > 0, what="the log at its end"
        )
        height = log.size.height
        await pilot.resize_terminal(80, 21)
        await until(pilot, lambda: log.size.height < height, what="a shorter log pane")
        await pilot.pause()
        assert log.scroll_y == log.max_scroll_y, (log.scroll_y, log.max_scroll_y)
        log.scroll_to(y=0, animate=False, immediate=True)
        shorter = log.size.height
        await pilot.resize_terminal(80, 18)
        await until(pilot, lambda: log.size.height < shorter, what="a log pane shorter again")
        await pilot.pause()
        assert log.scroll_y == 0  # scrolled up by the user: not pulled back to the end


def test_flexible_columns_give_way_widest_first() -> None:
    natural = {"mark": 1, "name": 60, "ready": 5, "status": 9, "age": 3}
    assert fit_widths(natural, ("name",), 200) is None
    widths = fit_widths(natural, ("name",), 50)
    assert widths == {"mark": 1, "name": 32, "ready": 5, "status": 9, "age": 3}
    two = fit_widths({"age": 3, "object": 20, "message": 90}, ("object", "message"), 53)
    assert two == {"age": 3, "object": 20, "message": 30}  # the narrow one kept whole
    tiny = fit_widths({"age": 3, "name": 40}, ("name",), 5)
    assert tiny == {"age": 3, "name": 8}  # never below 8 cells (the pane scrolls instead)


def test_the_footer_drops_the_lowest_ranked_keys_first_and_never_help_or_quit() -> None:
    from textual.binding import Binding

    def key(name: str, label: str, rank: int) -> Shown:
        return Shown(Binding(name, name, label), True, "", name, rank)

    keys = [key("u", "Up", 60), key("o", "Open", 20), key("p", "Profile", 25), key("?", "Help", 100)]
    keys.append(key("q", "Quit", 100))
    widths = sum(k.width for k in keys)
    assert [k.display for k in fitting(keys, widths)] == ["u", "o", "p", "?", "q"]
    assert [k.display for k in fitting(keys, widths - 1)] == ["u", "p", "?", "q"]
    assert [k.display for k in fitting(keys, 10)] == ["?", "q"]  # too narrow: still both
