"""Pilot tests on pre-seeded stores: what the panes show, `enter`, `?`, `/`, in-place updates."""

from __future__ import annotations

from dataclasses import replace

from msgspec.structs import replace as struct_replace
from seed import BACKEND, FRONTEND, NS, crashloop_store, healthy_store, offline
from textual.widgets import DataTable
from tui_helpers import screen_text, until

from devstack.core import events as ev
from devstack.tui.app import DevstackApp
from devstack.tui.keys import APP_KEYS, NAVIGATION
from devstack.tui.screens.detail import DetailScreen
from devstack.tui.screens.help import HelpScreen
from devstack.tui.widgets.logpane import LogPane

SIZE = (160, 50)


def plain_row(app: DevstackApp, pane: str, key: str) -> list[str]:
    cells = app.main.pane(pane).cells(key)
    assert cells is not None, f"no row {key} in {pane}"
    return [getattr(c, "plain", str(c)) for c in cells]


async def test_the_healthy_stack_shows_both_pods_ready_and_every_check_passing() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.pane("pods").keys, what="pods")
        for pod in (BACKEND, FRONTEND):
            mark, name, ready, status, *_ = plain_row(app, "pods", f"{NS}/{pod}")
            assert (mark, name, ready, status) == ("✓", pod, "1/1", "Running")
        checks = app.main.pane("checks")
        assert {k for k in checks.keys if "/" not in k} == {"frontend page", "backend health", "api-base-url"}
        assert all(plain_row(app, "checks", key)[0] == "✓" for key in checks.keys)
        text = screen_text(app)
        assert "health ✓ 2 workload(s) healthy" in text
        assert "skaffold dev ✓ watching (iteration 1)" in text


async def test_enter_on_the_crashlooping_pod_explains_it_with_exit_code_and_last_log_line() -> None:
    app = DevstackApp(offline(crashloop_store()))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.pane("pods").keys, what="pods")
        key = f"{NS}/{BACKEND}"
        assert plain_row(app, "pods", key)[:4] == ["✗", BACKEND, "0/1", "CrashLoopBackOff"]
        assert app.main.pane("pods").selected_key == key  # sorted by name: backend first
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail view")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert "CrashLoopBackOff" in detail.text
        assert "exited with code 1" in detail.text
        assert "FATAL: DATABASE_URL is not set" in detail.text
        assert "kubectl logs" in detail.text  # the fix
        assert "FATAL: DATABASE_URL is not set" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DetailScreen), what="back")


async def test_the_detail_view_follows_the_state() -> None:
    store = crashloop_store()
    app = DevstackApp(offline(store), interval=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.pane("pods").keys, what="pods")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="detail")
        store.dispatch(ev.PodLogsFetched(f"{NS}/{BACKEND}", "backend", True, ("panic: out of coffee",)))
        await until(pilot, lambda: "panic: out of coffee" in app.screen.text, what="the new log line")


async def test_help_lists_every_binding() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = " ".join(screen_text(app).replace("│", " ").split())  # wrapped rows joined
        for key in APP_KEYS:
            assert f"{key.shown} {' '.join(key.text(app.session.frontend_url).split())}" in text, key
        for shown, what in NAVIGATION:
            assert f"{shown} {' '.join(what.split())}" in text, shown
        bound = {b.key for b in app.BINDINGS if hasattr(b, "key")}
        assert {k.key for k in APP_KEYS} <= bound
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")


async def test_every_key_is_in_the_command_palette_with_one_quit() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for key in APP_KEYS:
            assert (f"{key.label} ({key.shown})" in titles) is key.palette
        assert [t for t in titles if "quit" in t.lower()] == ["Quit (q)"]


async def test_slash_filters_the_pods_and_escape_clears_it() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        pods = app.main.pane("pods")
        await until(pilot, lambda: len(pods.keys) == 2, what="pods")
        await pilot.press("slash")
        await pilot.press(*"front")
        await until(pilot, lambda: pods.keys == [f"{NS}/{FRONTEND}"], what="filtered")
        assert pods.border_title == "Pods (filter: front)"
        await pilot.press("enter")
        assert pods.has_focus
        assert pods.keys == [f"{NS}/{FRONTEND}"]
        await pilot.press("slash", "escape")
        await until(pilot, lambda: len(pods.keys) == 2, what="unfiltered")


async def test_rows_are_updated_in_place_by_key() -> None:
    store = healthy_store()
    app = DevstackApp(offline(store), interval=0.01)
    async with app.run_test(size=SIZE) as pilot:
        pods = app.main.pane("pods")
        await until(pilot, lambda: len(pods.keys) == 2, what="pods")
        table: DataTable[object] = pods
        row_objects = dict(table.rows)
        before = replace(pods.totals)
        key = f"{NS}/{BACKEND}"
        pod = store.state.pods[key]
        container = struct_replace(pod.containers[0], restart_count=1)
        store.dispatch(ev.KubeChanged("pods", "MODIFIED", struct_replace(pod, containers=(container,))))
        await until(pilot, lambda: plain_row(app, "pods", key)[4] == "1", what="restarts updated")
        totals = pods.totals
        assert (totals.added, totals.removed) == (before.added, before.removed)
        assert totals.updated_cells == before.updated_cells + 1
        assert dict(table.rows) == row_objects  # the same Row objects: nothing was re-added
        store.dispatch(ev.KubeChanged("pods", "DELETED", pod))
        await until(pilot, lambda: pods.keys == [f"{NS}/{FRONTEND}"], what="row removed")
        assert (pods.totals.removed, pods.totals.added) == (before.removed + 1, before.added)


async def test_logs_key_without_an_engine_says_so() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.main.pane("pods").keys, what="pods")
        await pilot.press("l")
        log = app.main.query_one(LogPane)
        await until(pilot, lambda: log.source.startswith("pod:"), what="log pane switched")
        await until(
            pilot, lambda: any("no engine" in str(n.message) for n in app._notifications), what="error"
        )


async def test_arrows_and_vim_keys_move_the_selection() -> None:
    app = DevstackApp(offline(healthy_store()))
    async with app.run_test(size=SIZE) as pilot:
        pods = app.main.pane("pods")
        await until(pilot, lambda: len(pods.keys) == 2, what="pods")
        first, second = pods.keys
        assert pods.selected_key == first
        await pilot.press("j")
        assert pods.selected_key == second
        await pilot.press("k")
        assert pods.selected_key == first
        await pilot.press("down")
        assert pods.selected_key == second
        await pilot.press("g")
        assert pods.selected_key == first
        await pilot.press("G")
        assert pods.selected_key == second
