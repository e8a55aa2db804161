"""The terminal app on a Tilt session: the header names Tilt and shows its resources and their
states, the Log pane shows Tilt's stream, a failed build is explained with its Tiltfile line."""

from __future__ import annotations

import pytest
from seed import offline
from seed_tilt import tilt_store
from textual.pilot import Pilot
from tui_helpers import screen_text, until

from devstack.tui.app import DevstackApp
from devstack.tui.widgets.logpane import LogPane


async def _painted(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, DevstackApp)
    await until(pilot, lambda: app.main.ready, what="the main screen")
    log = app.main.query_one(LogPane)
    await until(pilot, lambda: log.line_count > 0, what="Tilt's output in the log")
    await pilot.pause(0.2)


async def test_header_shows_tilt_its_resources_and_states() -> None:
    app = DevstackApp(offline(tilt_store("healthy")))
    async with app.run_test(size=(200, 40)) as pilot:
        await _painted(pilot)
        text = screen_text(app)
        assert "tilt up" in text and "deployed (iteration 1)" in text
        assert "jetscale-backend ✓ ok" in text and "jetscale-frontend ✓ ok, 1 restarts" in text
        assert "(Tiltfile) ✓ loaded" in text
        assert "Log · tilt up" in text and "Successfully loaded Tiltfile" in text


async def test_a_failed_build_and_a_waiting_resource_show_in_the_header() -> None:
    app = DevstackApp(offline(tilt_store("build-failed")))
    async with app.run_test(size=(200, 40)) as pilot:
        await _painted(pilot)
        text = screen_text(app)
        assert "jetscale-backend ✗ build failed" in text
        assert "jetscale-frontend" in text and "waiting on jetscale-backend" in text
        assert "ERROR: Build Failed" in text


@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
def test_tilt_main_screen_snapshot(snap_compare, size: tuple[int, int]) -> None:
    app = DevstackApp(offline(tilt_store("healthy")))
    assert snap_compare(app, terminal_size=size, run_before=_painted)
