"""Pilot tests: what the app shows follows the stack after a redeploy and a profile switch (the demo
environment, the real up flow with `skaffold dev`; `d` is covered in test_tui_demo.py)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import yaml
from helpers import demo_settings, free_port
from textual.pilot import Pilot
from tui_helpers import screen_text, until

from devstack.cli.demo import demo_session
from devstack.cli.options import Options
from devstack.core.model import StepStatus
from devstack.core.state import State
from devstack.settings import Settings
from devstack.sources.ports import port_is_free
from devstack.tui.app import DevstackApp
from devstack.tui.screens.confirm import ConfirmScreen
from devstack.tui.screens.profiles import ProfilePicker

pytestmark = pytest.mark.slow
SIZE = (160, 50)


def _state(app: DevstackApp) -> State:
    return app.session.store.state


def _all_ok(state: State) -> bool:
    return bool(state.steps) and all(s.status is StepStatus.OK for s in state.steps)


def _health(app: DevstackApp) -> str:
    return app.frame.health[1] if app.frame is not None else ""


async def _run_demo(
    scenario: str, body: Callable[[DevstackApp, Pilot[object], Settings], Awaitable[None]]
) -> None:
    """`devstack demo --scenario S` in a pilot (on free ports); the demo is removed afterwards."""
    settings = demo_settings()
    session = demo_session(Options(None, 0, settings=settings), scenario)
    app = DevstackApp(session, autostart=True, tour=False, interval=0.1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await body(app, pilot, settings)
    finally:
        session.close()


async def test_fixing_the_api_url_redeploys_reruns_the_checks_and_clears_the_header() -> None:
    await _run_demo("bad-api-url", lambda app, pilot, settings: _fix(app, pilot, settings.demo_backend_port))


async def _fix(app: DevstackApp, pilot: Pilot[object], backend_port: int) -> None:
    def checks_failed() -> bool:
        step = _state(app).step("checks")
        return step is not None and step.status is StepStatus.FAILED

    await until(pilot, checks_failed, timeout=180, what="up to end with the failing API check")
    await until(pilot, lambda: "checks failed" in _health(app), what="the header to say so")
    assert any(not c.ok for c in _state(app).checks)
    iteration = _state(app).deploy.iteration
    ctx = app.session.ctx
    assert ctx is not None
    values = ctx.loaded.root / "charts" / "jetscale" / "values-local.yaml"
    data = yaml.safe_load(values.read_text())
    data["frontend"]["apiBaseUrl"] = f"http://localhost:{backend_port}"
    values.write_text(yaml.safe_dump(data, sort_keys=False))  # skaffold dev sees it and redeploys

    await until(
        pilot, lambda: _state(app).deploy.iteration > iteration, timeout=120, what="skaffold dev to redeploy"
    )

    def all_pass() -> bool:
        state = _state(app)
        return len(state.checks) == 3 and all(c.ok for c in state.checks) and not state.checks_running

    await until(pilot, all_pass, timeout=180, what="the checks to run again by themselves and pass")
    await until(pilot, lambda: _all_ok(_state(app)), timeout=60, what="every step ✓ again")
    deploy = _state(app).step("deploy")
    assert deploy is not None and deploy.message.startswith("redeployed (iteration")
    await until(pilot, lambda: "checks failed" not in _health(app), what="the header to follow")
    await until(pilot, lambda: "healthy" in screen_text(app), what="the header on screen")
    text = screen_text(app)
    assert "check failed" not in text and "checks failed" not in text
    assert app.main.pane("checks").border_subtitle == "3/3 passed"
    await pilot.press("ctrl+c")
    await until(pilot, lambda: not app.is_running, timeout=60, what="exit")


async def test_switching_profile_shows_only_the_new_profiles_forwards_checks_and_steps() -> None:
    await _run_demo("healthy", lambda app, pilot, _settings: _switch(app, pilot))


def _second_profile(root: Path) -> tuple[int, int]:
    """profiles/second.yaml: the demo's profile (same simulated cluster) on two other free ports,
    with the HTTP checks only (the chart's API URL names the first profile's backend port)."""
    profile = yaml.safe_load((root / "profiles" / "local-kind.yaml").read_text())
    ports = (free_port(), free_port())
    profile["name"] = "second"
    profile["checks"]["api_base_url"] = {"enabled": False}
    for forward, port in zip(profile["forwards"], ports, strict=True):
        forward["local_port"] = port
    (root / "profiles" / "second.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return ports


async def _switch(app: DevstackApp, pilot: Pilot[object]) -> None:
    await until(pilot, lambda: _all_ok(_state(app)) and len(_state(app).checks) == 3, timeout=180, what="up")
    ctx = app.session.ctx
    assert ctx is not None
    old_ports = {f.local_port for f in ctx.profile.forwards}
    new_ports = set(_second_profile(ctx.loaded.root))
    seen: list[State] = []
    app.session.store.subscribe(lambda state, _event: seen.append(state))

    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, ProfilePicker), what="the picker")
    picker = app.screen
    assert isinstance(picker, ProfilePicker)
    await pilot.press(*["down"] * (picker.profiles.index("second") - picker.profiles.index("local-kind")))
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question (dev loop runs)")
    await pilot.press("y")
    await until(pilot, lambda: _state(app).profile == "second", timeout=60, what="the switch")
    await until(
        pilot,
        lambda: _all_ok(_state(app)) and len(_state(app).checks) == 2,
        timeout=180,
        what="the second profile up",
    )
    state = _state(app)
    assert {f.local_port for f in state.forwards.values()} == new_ports
    assert {f.status for f in state.forwards.values()} == {"ready"}
    assert all(c.ok for c in state.checks), state.checks
    assert all(port_is_free(port) for port in old_ports), "the first profile's forwards are closed"
    assert app.session.store.flush()
    switched = [s for s in seen if s.profile == "second"]
    assert switched, "the store saw the second profile"
    for shown in switched:  # from the switch on, nothing of the first profile is in the state
        assert not {f.local_port for f in shown.forwards.values()} & old_ports
        assert not any(str(port) in step.name for c in shown.checks for step in c.steps for port in old_ports)
    first = switched[0]
    assert first.checks == () and first.forwards == {}
    assert all(step.status is StepStatus.PENDING for step in first.steps), first.steps

    def shows_the_new_ports() -> bool:
        text = screen_text(app)  # repainted at most every 0.1 s: wait for the frame of this state
        return "profile second" in text and all(re.search(rf":{port}\b", text) for port in new_ports)

    await until(pilot, shows_the_new_ports, what="the new profile's ports on screen")
    text = screen_text(app)
    assert not any(re.search(rf":{port}\b", text) for port in old_ports), text
    await pilot.press("ctrl+c")
    await until(pilot, lambda: not app.is_running, timeout=60, what="exit")
