"""Pilot tests against `devstack demo` scenarios (the simulated environment, the real up flow with
skaffold dev): what the panes show, `enter`, `?`, `/` and `l` on a live stack."""

from __future__ import annotations

import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from helpers import demo_settings
from textual.pilot import Pilot
from tui_helpers import pod_key, screen_text, select_pod, until

from devstack.cli.demo import demo_session
from devstack.cli.options import Options
from devstack.core.model import Level, StepStatus
from devstack.core.state import State
from devstack.tui.app import DevstackApp
from devstack.tui.keys import APP_KEYS
from devstack.tui.screens.confirm import ConfirmScreen
from devstack.tui.screens.detail import DetailScreen
from devstack.tui.screens.help import HelpScreen
from devstack.tui.widgets.logpane import LogPane

pytestmark = pytest.mark.slow
SIZE = (160, 50)


def _level(app: DevstackApp, prefix: str) -> Level | None:
    key = pod_key(app, prefix)
    return app.frame.pods[key].level if key and app.frame else None


async def _quit(pilot: Pilot[object], app: DevstackApp) -> None:
    await pilot.press("q")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the quit question")
    await pilot.press("y")
    await until(pilot, lambda: not app.is_running, timeout=60, what="the app to stop the session and exit")


async def _run_demo(
    scenario: str, body: Callable[[DevstackApp, Pilot[object]], Awaitable[None]], tool: str = "skaffold"
) -> None:
    """`devstack demo --scenario S [--tool T]` as the CLI runs it, in a pilot; the demo is removed afterwards."""
    session = demo_session(Options(None, 0, settings=demo_settings()), scenario, tool=tool)
    app = DevstackApp(session, autostart=True, tour=False, interval=0.1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await body(app, pilot)
    finally:
        session.close()


async def test_tilt_demo_header_shows_tilt_and_its_resources_and_q_stops_tilt_up() -> None:
    await _run_demo("healthy", _tilt, tool="tilt")


async def _tilt(app: DevstackApp, pilot: Pilot[object]) -> None:
    def state() -> State:
        return app.session.store.state

    await until(pilot, lambda: state().checks and all(c.ok for c in state().checks), 240, "checks passing")
    assert state().deploy.tool == "tilt" and state().deploy.mode == "up"
    await until(
        pilot,
        lambda: "jetscale-frontend ✓ ok" in screen_text(app) and "jetscale-backend ✓ ok" in screen_text(app),
        30,
        "Tilt's resources ok in the header",
    )
    text = screen_text(app)
    assert "tilt up ✓ deployed" in text and "(Tiltfile) ✓ loaded" in text
    assert "Log · tilt up" in text
    await _quit(pilot, app)
    assert state().deploy.phase == "stopped" and state().deploy.exit_code in (0, 1)


async def test_healthy_demo_pods_ready_checks_pass_and_the_keys_work() -> None:
    await _run_demo("healthy", _healthy)


async def _healthy(app: DevstackApp, pilot: Pilot[object]) -> None:
    def state() -> State:
        return app.session.store.state

    await until(
        pilot,
        lambda: _level(app, "jetscale-backend") is Level.OK and _level(app, "jetscale-frontend") is Level.OK,
        timeout=120,
        what="both pods Ready",
    )
    await until(
        pilot,
        lambda: all(s.status is StepStatus.OK for s in state().steps),
        timeout=120,
        what="every up step done",
    )
    checks = app.main.pane("checks")
    await until(pilot, lambda: len(state().checks) == 3 and not state().checks_running, what="the checks")
    assert all(c.ok for c in state().checks)

    def marks() -> set[str]:
        return {getattr((checks.cells(k) or ("",))[0], "plain", "") for k in checks.keys}

    await until(pilot, lambda: len(checks.keys) > 3 and marks() == {"✓"}, what="every check row ✓")
    assert "skaffold dev ✓ watching" in screen_text(app)

    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
    text = " ".join(screen_text(app).replace("│", " ").split())  # wrapped rows joined
    url = app.session.frontend_url
    assert all(f"{k.shown} {' '.join(k.text(url).split())}" in text for k in APP_KEYS)
    ctx = app.session.ctx
    assert ctx is not None
    port = next(f.local_port for f in ctx.profile.forwards if f.name == "frontend")
    assert f"o Open the frontend (http://localhost:{port}) in the browser" in text  # the demo's own port
    await pilot.press("escape")

    pods = app.main.pane("pods")
    await pilot.press("slash", *"frontend", "enter")
    await until(pilot, lambda: len(pods.keys) == 1 and "frontend" in pods.keys[0], what="filtered pods")
    await pilot.press("slash", "escape")
    await until(pilot, lambda: len(pods.keys) == 2, what="the filter cleared")

    backend = pod_key(app, "jetscale-backend")
    assert backend is not None
    await select_pod(pilot, app, backend)
    await pilot.press("l")
    log = app.main.query_one(LogPane)
    await until(pilot, lambda: any("listening on" in line for line in log.lines_shown), what="the log")
    seen = len(log.lines_shown)
    await until(pilot, lambda: len(log.lines_shown) > seen, timeout=60, what="the log to follow")
    await _quit(pilot, app)


async def test_crashloop_demo_shows_the_pod_red_and_enter_explains_it() -> None:
    await _run_demo("crashloop", _crashloop)


async def _crashloop(app: DevstackApp, pilot: Pilot[object]) -> None:
    await until(pilot, lambda: _level(app, "jetscale-backend") is Level.ERROR, timeout=120, what="red")
    key = pod_key(app, "jetscale-backend")
    assert key is not None
    cells = app.main.pane("pods").cells(key)
    assert cells is not None and getattr(cells[0], "plain", "") == "✗"
    await until(
        pilot,
        lambda: app.frame is not None and app.frame.pods[key].reason == "CrashLoopBackOff",
        timeout=60,
        what="CrashLoopBackOff",
    )
    await select_pod(pilot, app, key)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail view")
    detail = app.screen
    assert isinstance(detail, DetailScreen)
    await until(pilot, lambda: "FATAL: DATABASE_URL is not set" in detail.text, timeout=60, what="last log")
    assert "CrashLoopBackOff" in detail.text and "exited with code 1" in detail.text
    await pilot.press("escape")
    await _quit(pilot, app)


async def test_demo_keys_c_o_r_and_d_act_on_the_running_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = tmp_path / "opened"
    monkeypatch.setenv("BROWSER", f"sh -c 'echo %s > {opened}'")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read BROWSER again

    async def body(app: DevstackApp, pilot: Pilot[object]) -> None:
        await until(
            pilot,
            lambda: (
                all(s.status is StepStatus.OK for s in app.session.store.state.steps)
                and len(app.session.store.state.checks) == 3
            ),
            timeout=120,
            what="the stack up",
        )

        def said(text: str) -> bool:
            return any(text in str(n.message) for n in app._notifications)

        await pilot.press("c")
        await until(pilot, lambda: said("3/3 checks passed"), timeout=60, what="checks run again")

        await pilot.press("o")
        await until(pilot, lambda: opened.exists() and opened.read_text().strip(), what="the browser")
        assert opened.read_text().strip() == app.session.frontend_url

        app.main.pane("forwards").focus()
        await pilot.press("r")
        await until(pilot, lambda: said("forwards re-opened"), timeout=60, what="forwards re-opened")
        state = app.session.store.state
        assert {f.status for f in state.forwards.values()} == {"ready"}

        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the down question")
        await pilot.press("y")
        await until(pilot, lambda: said("down:"), timeout=120, what="down")
        assert not app.session.dev_loop_running
        await until(pilot, lambda: not app.main.pane("pods").keys, timeout=60, what="the pods gone")
        await until(pilot, lambda: "stack removed" in screen_text(app), what="the header after down")
        _assert_nothing_claims_the_removed_stack(app)
        await pilot.press("q")  # nothing runs any more: no question
        await until(pilot, lambda: not app.is_running, timeout=60, what="exit")

    await _run_demo("healthy", body)


def _assert_nothing_claims_the_removed_stack(app: DevstackApp) -> None:
    """After `d`: no forward, no check and no stack step shows ✓; the header says it is removed."""
    state = app.session.store.state
    assert state.forwards == {} and not app.main.pane("forwards").keys
    assert state.checks == () and not app.main.pane("checks").keys
    steps = {s.name: s.status for s in state.steps}
    assert [steps[n] for n in ("deploy", "ready", "forwards", "checks")] == [StepStatus.PENDING] * 4
    assert [steps[n] for n in ("doctor", "cluster", "context")] == [StepStatus.OK] * 3
    text = screen_text(app)
    assert "stack removed" in text and "✓ deploy" not in text and "✓ checks" not in text
