"""The app on a live simulated cluster (the jetscale chart through the real client): panes follow
the cluster, `enter` explains a real crash loop, `l` streams a log, `r` and `x` act, `q` stops."""

from __future__ import annotations

import threading

import pytest
from tui_helpers import live_session, pod_key, select_pod, until

from devstack.core.model import Level
from devstack.tui.app import DevstackApp
from devstack.tui.screens.confirm import ConfirmScreen
from devstack.tui.screens.detail import DetailScreen
from devstack.tui.widgets.logpane import LogPane
from devstack_sim.background import BackgroundSimulator

pytestmark = pytest.mark.slow
SIZE = (160, 50)
CRASH = ("backend.env.DEMO_CRASH_ON_START=1",)


def _ready(app: DevstackApp, prefix: str) -> bool:
    key = pod_key(app, prefix)
    return bool(key and app.frame and app.frame.pods[key].level is Level.OK)


async def test_panes_follow_the_cluster_and_l_streams_the_pods_log(sim_stack: BackgroundSimulator) -> None:
    session = live_session()
    app = DevstackApp(session, watch=True, tour=False, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: _ready(app, "jetscale-backend") and _ready(app, "jetscale-frontend"),
            timeout=60,
            what="both pods Ready",
        )
        services = app.main.pane("services")
        await until(pilot, lambda: len(services.keys) == 2, what="services")
        backend = pod_key(app, "jetscale-backend")
        assert backend is not None
        await select_pod(pilot, app, backend)
        await pilot.press("l")
        log = app.main.query_one(LogPane)
        assert log.source == f"pod:{backend}"
        await until(pilot, lambda: any("listening on" in line for line in log.lines_shown), what="log lines")
        count = len(log.lines_shown)
        # readiness probes keep writing request lines: the pane follows them
        await until(pilot, lambda: len(log.lines_shown) > count + 2, timeout=30, what="new log lines")
        assert any("/healthz" in line for line in log.lines_shown[count:])
        await pilot.press("l")  # the same pod again: back to the deploy output
        assert log.source == "deploy"
        await pilot.press("q")
    assert not [t for t in threading.enumerate() if t.name.startswith(("watch-", "log-follow"))]


@pytest.mark.parametrize("sim_stack", [CRASH], indirect=True)
async def test_the_crashlooping_pod_is_red_and_enter_shows_exit_code_and_last_log_line(
    sim_stack: BackgroundSimulator,
) -> None:
    app = DevstackApp(live_session(), watch=True, tour=False, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:

        def crashing() -> bool:
            key = pod_key(app, "jetscale-backend")
            return bool(key and app.frame and app.frame.pods[key].reason == "CrashLoopBackOff")

        await until(pilot, crashing, timeout=60, what="CrashLoopBackOff")
        key = pod_key(app, "jetscale-backend")
        assert key is not None
        cells = app.main.pane("pods").cells(key)
        assert cells is not None and [getattr(c, "plain", c) for c in cells[:1]] == ["✗"]
        await select_pod(pilot, app, key)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail view")
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        await until(
            pilot, lambda: "FATAL: DATABASE_URL is not set" in detail.text, timeout=30, what="crash log"
        )
        assert "CrashLoopBackOff" in detail.text
        assert "exited with code 1" in detail.text
        await pilot.press("escape")
        await pilot.press("q")


async def test_r_restarts_the_workload_and_x_deletes_the_pod(sim_stack: BackgroundSimulator) -> None:
    app = DevstackApp(live_session(), watch=True, tour=False, interval=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _ready(app, "jetscale-frontend"), timeout=60, what="frontend Ready")
        first = pod_key(app, "jetscale-frontend")
        assert first is not None
        await select_pod(pilot, app, first)
        await pilot.press("r")
        await until(
            pilot,
            lambda: (
                pod_key(app, "jetscale-frontend") not in (None, first)
                and first not in app.main.pane("pods").keys
            ),
            timeout=60,
            what="a new frontend pod",
        )
        second = pod_key(app, "jetscale-frontend")
        assert second is not None
        await until(pilot, lambda: _ready(app, "jetscale-frontend"), timeout=60, what="the new pod Ready")
        await select_pod(pilot, app, second)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("y")
        await until(
            pilot,
            lambda: second not in app.main.pane("pods").keys and pod_key(app, "jetscale-frontend"),
            timeout=60,
            what="the pod replaced",
        )
        await pilot.press("q")
