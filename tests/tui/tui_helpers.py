"""Helpers for TUI tests: the screen as text, and waiting inside a pilot without blocking it."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot


def screen_text(app: App[object]) -> str:
    """What the terminal shows right now, as plain text (like the SVG screenshot, without style)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


async def until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Let the app run until `predicate()` is truthy (the async twin of helpers.wait_for)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)
