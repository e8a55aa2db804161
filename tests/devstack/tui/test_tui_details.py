"""Details right: `enter` on an event opens the event (with its object explained below), `l` works
from the detail view, one Quit in the palette, escape clears a pane's filter."""

from __future__ import annotations

from seed import BACKEND, FRONTEND, LONG_POD, NS, crashloop_store, healthy_store, long_names_store, offline
from textual.pilot import Pilot
from tui_helpers import until

from devstack.tui.app import DevstackApp
from devstack.tui.screens.detail import DetailScreen
from devstack.tui.widgets.logpane import LogPane

SIZE = (160, 50)


def _event_key(app: DevstackApp, reason: str) -> str:
    events = app.session.store.state.kube_events
    return next(key for key, event in events.items() if event.reason == reason)


async def _open_event(pilot: Pilot[object], app: DevstackApp, reason: str) -> DetailScreen:
    await until(pilot, lambda: app.main.ready and app.main.pane("events").keys, what="the events pane")
    pane = app.main.pane("events")
    key = _event_key(app, reason)
    pane.focus()
    pane.move_cursor(row=pane.keys.index(key))
    await until(pilot, lambda: pane.selected_key == key, what="the event selected")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail view")
    detail = app.screen
    assert isinstance(detail, DetailScreen)
    return detail


async def test_enter_on_a_warning_event_of_a_ready_pod_opens_the_event_not_the_pod() -> None:
    app = DevstackApp(offline(long_names_store()))
    async with app.run_test(size=SIZE) as pilot:
        detail = await _open_event(pilot, app, "Unhealthy")
        shown = detail.detail
        assert shown.verdict.reason == "Unhealthy"  # the event, not the pod's "Ready"
        text = detail.text
        head, _, about = text.partition("── about")
        assert "Startup probe failed" in head
        assert f"object: Pod {LONG_POD}" in head
        assert "count: 3 (3 times)" in head
        assert "first seen: 9m ago (2025-12-31T23:51:00Z)" in head
        assert "last seen: 8m ago (2025-12-31T23:52:00Z)" in head
        assert f"Pod {LONG_POD}" in about and "Ready" in about  # the object's explanation below
        assert "l logs" in str(app.screen.query_one("#detail").border_subtitle)


async def test_enter_on_the_backoff_event_explains_the_crashing_pod_below_it() -> None:
    app = DevstackApp(offline(crashloop_store()))
    async with app.run_test(size=SIZE) as pilot:
        detail = await _open_event(pilot, app, "BackOff")
        head, _, about = detail.text.partition("── about")
        assert "Back-off restarting failed container backend" in head and "count: 6" in head
        assert "CrashLoopBackOff" in about and "FATAL: DATABASE_URL is not set" in about


async def test_l_in_the_detail_view_follows_the_pod_and_shows_the_log() -> None:
    app = DevstackApp(offline(crashloop_store()))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.ready and app.main.pane("pods").keys, what="pods")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the pod's detail")
        await pilot.press("l")
        log = app.main.query_one(LogPane)
        await until(pilot, lambda: log.source == f"pod:{NS}/{BACKEND}", what="the log following the pod")
        assert app.screen is app.main  # the detail view made way for the log


async def test_l_on_an_event_follows_the_pod_it_is_about() -> None:
    app = DevstackApp(offline(long_names_store()))
    async with app.run_test(size=SIZE) as pilot:
        await _open_event(pilot, app, "Unhealthy")
        await pilot.press("l")
        log = app.main.query_one(LogPane)
        await until(pilot, lambda: log.source == f"pod:{NS}/{LONG_POD}", what="the event's pod log")


async def test_escape_on_a_filtered_pane_clears_its_filter() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        pods = app.main.pane("pods")
        await until(pilot, lambda: app.main.ready and len(pods.keys) == 2, what="pods")
        await pilot.press("slash", *"front", "enter")
        await until(pilot, lambda: pods.keys == [f"{NS}/{FRONTEND}"], what="filtered")
        assert pods.has_focus and not app.main.filter_bar.display  # the bar is closed
        await pilot.press("escape")
        await until(pilot, lambda: len(pods.keys) == 2, what="the filter cleared from the pane")
        assert pods.filter_text == "" and pods.border_title == "Pods"

        log = app.main.query_one(LogPane)
        log.focus()
        await pilot.press("slash", *"Watching", "enter")
        await until(pilot, lambda: log.filter_text == "Watching", what="the log filtered")
        await pilot.press("escape")
        await until(pilot, lambda: log.filter_text == "", what="the log's filter cleared")
