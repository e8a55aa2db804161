"""Helpers for TUI tests: the screen as text, waiting inside a pilot without blocking it, pods."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable

from helpers import REPO
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from devstack.engine.session import Session
from devstack.tui.app import DevstackApp


def screen_text(app: App[object]) -> str:
    """What the terminal shows right now, as plain text (like the SVG screenshot, without style)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False)


class PilotTimeout(AssertionError):
    """A pilot waited too long. An `Exception` on purpose: Textual's auto-pilot (`snap_compare`'s
    `run_before`) exits the app only on an `Exception`; `pytest.fail` raises a `BaseException`, which
    left the app running and the test hanging forever instead of failing."""


async def until(
    pilot: Pilot[object], predicate: Callable[[], object], timeout: float = 30.0, what: str = "condition"
) -> None:
    """Let the app run until `predicate()` is truthy (the async twin of helpers.wait_for).

    Raises:
        PilotTimeout: after `timeout` seconds (the app exits, the test fails with `what`).
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise PilotTimeout(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)


def pod_key(app: DevstackApp, prefix: str) -> str | None:
    """The Pods pane's key (namespace/name) of the first pod whose name starts with `prefix`."""
    return next((k for k in app.main.pane("pods").keys if k.split("/", 1)[1].startswith(prefix)), None)


async def select_pod(pilot: Pilot[object], app: DevstackApp, key: str) -> None:
    """Focus the Pods pane and put its cursor on `key`."""
    pane = app.main.pane("pods")
    pane.focus()
    pane.move_cursor(row=pane.keys.index(key))
    await until(pilot, lambda: pane.selected_key == key, what=f"{key} selected")


def live_session() -> Session:
    """A session for the repo's local-kind profile (context kind-jetscale) with this test's kubeconfig."""
    from devstack.engine.context import EngineContext
    from devstack.profile import LoadedProfile, load_profile
    from devstack.sources.tools import ToolEnv

    path = REPO / "profiles" / "local-kind.yaml"
    loaded = LoadedProfile(load_profile(path), path, REPO)
    tools = ToolEnv(dict(os.environ), allow_sim=True)  # a simulated kind cluster: no node container
    return Session(
        build=lambda store: EngineContext(loaded, store, tools, interactive=True), check_cluster=False
    )
