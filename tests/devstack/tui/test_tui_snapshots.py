"""SVG snapshots of each screen at 80x24, 120x34 and 160x50 (fixed clock, NO_COLOR from the autouse
fixture), and a check that every 80x24 main-screen SVG shows the health line and `?`/`q` in the footer.

Update after an intended change: `.venv/bin/pytest tests/devstack/tui/test_tui_snapshots.py --snapshot-update`,
then look at the report and commit `__snapshots__/`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from seed import BACKEND, clock, crashloop_store, doctor_store, healthy_store, long_names_store, offline
from seed_objects import backend_secret, crashloop_pod
from textual._doc import take_svg_screenshot
from textual.pilot import Pilot
from tui_helpers import PilotTimeout, until

from devstack.tui.app import DevstackApp
from devstack.tui.objects import ObjectRef
from devstack.tui.screens.detail import DetailScreen
from devstack.tui.screens.help import HelpScreen
from devstack.tui.screens.inspect import InspectScreen
from devstack.tui.screens.walkthrough import WalkthroughScreen
from devstack.tui.widgets.logpane import LogPane
from devstack.tui.widgets.table import KeyedTable

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 34), (160, 50)], ids=["80x24", "120x34", "160x50"])
SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_tui_snapshots"


async def _painted(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, DevstackApp)
    await until(pilot, lambda: app.main.ready and app.main.pane("pods").keys, what="the pods pane")
    log = app.main.query_one(LogPane)
    await until(pilot, lambda: log.line_count and log.scroll_y >= log.max_scroll_y, what="the log at its end")

    def settled() -> bool:  # DataTables measure their columns when idle
        return all(
            not t._require_update_dimensions and not t._updated_cells for t in app.main.query(KeyedTable)
        )

    await until(pilot, settled, what="the tables measured")
    await pilot.pause()


@SIZES
def test_healthy_main_screen(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(healthy_store()))
    assert snap_compare(app, terminal_size=size, run_before=_painted)


@SIZES
def test_long_pod_names(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(long_names_store()))
    assert snap_compare(app, terminal_size=size, run_before=_painted)


@SIZES
def test_crashloop_main_screen(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(crashloop_store()))
    assert snap_compare(app, terminal_size=size, run_before=_painted)


def svg_lines(path: Path) -> list[str]:
    """The text of an SVG snapshot, one string per terminal line (Textual writes one `<text>` per
    run of cells, each with the line's y)."""
    rows: dict[str, list[str]] = {}
    for y, body in re.findall(r'<text[^>]* y="([0-9.]+)"[^>]*>(.*?)</text>', path.read_text(), re.S):
        rows.setdefault(y, []).append(html.unescape(re.sub(r"<[^>]+>", "", body)).replace("\xa0", " "))
    return ["".join(parts) for _y, parts in sorted(rows.items(), key=lambda item: float(item[0]))]


@pytest.mark.parametrize(
    "name", ["test_healthy_main_screen", "test_long_pod_names", "test_crashloop_main_screen"]
)
def test_the_80x24_snapshots_show_the_health_line_and_help_and_quit(name: str) -> None:
    lines = svg_lines(SNAPSHOTS / f"{name}[80x24].svg")
    assert lines, "the snapshot is there (run with --snapshot-update once)"
    assert "health " in lines[0] and ("✓" in lines[0] or "✗" in lines[0]), lines[0]
    footer = next(line for line in reversed(lines) if line.strip())
    assert "? Help" in footer and "q Quit" in footer, footer


@SIZES
def test_crashloop_detail(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(crashloop_store()))

    async def open_detail(pilot: Pilot[object]) -> None:
        await _painted(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail view")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_detail)


@SIZES
def test_walkthrough_with_doctor_failures(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(doctor_store()), tour=True)

    async def opened(pilot: Pilot[object]) -> None:
        await until(pilot, lambda: isinstance(app.screen, WalkthroughScreen), what="the walkthrough")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=opened)


@SIZES
def test_help_overlay(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(healthy_store()))

    async def opened(pilot: Pilot[object]) -> None:
        await _painted(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help overlay")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=opened)


def _inspect_app(found_of: Any, ref: ObjectRef, mode: str) -> tuple[DevstackApp, Any]:
    app = DevstackApp(offline(crashloop_store()))

    async def opened(pilot: Pilot[object]) -> None:
        await _painted(pilot)
        await app.push_screen(InspectScreen(ref, mode, found=found_of(), clock=clock))
        await until(pilot, lambda: isinstance(app.screen, InspectScreen), what="the view")
        await pilot.pause()

    return app, opened


@SIZES
def test_describe_of_the_crashlooping_pod(snap_compare, size: tuple[int, int]) -> None:
    app, opened = _inspect_app(crashloop_pod, ObjectRef("pods", "jetscale", BACKEND), "describe")
    assert snap_compare(app, terminal_size=size, run_before=opened)


@SIZES
def test_yaml_of_a_secret_with_its_values_hidden(snap_compare, size: tuple[int, int]) -> None:
    app, opened = _inspect_app(backend_secret, ObjectRef("secrets", "jetscale", "jetscale-backend"), "yaml")
    assert snap_compare(app, terminal_size=size, run_before=opened)


def test_a_wait_that_times_out_before_a_snapshot_fails_the_test_instead_of_hanging() -> None:
    """`snap_compare` runs `run_before` in Textual's auto-pilot, which exits the app only on an
    `Exception`: `until` raising `pytest.fail` (a BaseException) left the app running forever."""

    async def never(pilot: Pilot[object]) -> None:
        await until(pilot, lambda: False, timeout=0.3, what="something that never happens")

    with pytest.raises(PilotTimeout, match="something that never happens"):
        take_svg_screenshot(DevstackApp(offline(healthy_store())), terminal_size=(80, 24), run_before=never)
