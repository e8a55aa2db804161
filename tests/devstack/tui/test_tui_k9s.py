"""What a k9s user reaches for, in the app on a live simulated cluster: the kind picker, sorting,
describe and YAML (Secret values hidden, revealed per key), and a workload's logs across a pod
replacement."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tui_helpers import live_session, pod_key, screen_text, select_pod, until

from devstack.core.model import Level
from devstack.tui.app import DevstackApp
from devstack.tui.screens.browse import BrowseScreen
from devstack.tui.screens.inspect import InspectScreen
from devstack.tui.screens.keypicker import KeyPicker
from devstack.tui.screens.kindpicker import KindPicker
from devstack.tui.screens.workload_logs import WorkloadLogsScreen
from devstack_sim.background import BackgroundSimulator

pytestmark = pytest.mark.slow
SIZE = (160, 50)
SECRET_VALUE = "postgres://demo:demo@db:5432/app"


def _extras() -> list[dict[str, Any]]:
    """A ConfigMap, a Secret whose value the test looks for, and a pod that crash-loops."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "app-settings"},
            "data": {"LOG_LEVEL": "debug"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db-credentials"},
            "type": "Opaque",
            "data": {
                "url": base64.b64encode(SECRET_VALUE.encode()).decode(),
                "user": base64.b64encode(b"demo").decode(),
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "zz-crasher", "labels": {"app": "crasher"}},
            "spec": {"containers": [{"name": "crash", "image": "sim/crash"}]},
        },
    ]


@contextlib.asynccontextmanager
async def _closing(app: DevstackApp) -> AsyncIterator[None]:
    """The app's session closed at the end (its watches stopped), however the test ends."""
    try:
        yield
    finally:
        app.session.close()


def _ready(app: DevstackApp, prefix: str) -> bool:
    key = pod_key(app, prefix)
    return bool(key and app.frame and app.frame.pods[key].level is Level.OK)


async def _type(pilot: Any, text: str) -> None:
    for char in text:
        await pilot.press(char)


async def _browse(pilot: Any, app: DevstackApp, kind: str) -> BrowseScreen:
    await pilot.press("colon")
    await until(pilot, lambda: isinstance(app.screen, KindPicker), what="the kind picker")
    await _type(pilot, kind)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, BrowseScreen), what="the kind browser")
    screen = app.screen
    assert isinstance(screen, BrowseScreen)
    return screen


async def test_the_kind_picker_lists_configmaps_and_sorting_by_restarts_puts_the_crashlooping_pod_first(
    sim_stack: BackgroundSimulator,
) -> None:
    sim_stack.apply(_extras(), "jetscale")
    app = DevstackApp(live_session(), watch=True, tour=False, interval=0.1)
    async with _closing(app), app.run_test(size=SIZE) as pilot:
        pods = app.main.pane("pods")

        def crashed() -> bool:
            pod = app.session.store.state.pods.get("jetscale/zz-crasher")
            return bool(pod and pod.restarts >= 1) and _ready(app, "jetscale-backend")

        await until(pilot, crashed, timeout=60, what="zz-crasher restarting")
        assert pods.keys[0] != "jetscale/zz-crasher"  # by name it is last
        pods.focus()
        await pilot.press("R")
        await until(pilot, lambda: pods.keys[0] == "jetscale/zz-crasher", what="sorted by restarts")
        assert "RESTARTS ↓" in screen_text(app)
        await pilot.press("R")  # again: the other way
        await until(pilot, lambda: pods.keys[-1] == "jetscale/zz-crasher", what="reversed")
        assert "RESTARTS ↑" in screen_text(app)

        browser = await _browse(pilot, app, "cm")
        table = browser.table
        await until(pilot, lambda: "jetscale/app-settings" in table.keys, what="the ConfigMap listed")
        cells = [getattr(c, "plain", c) for c in table.cells("jetscale/app-settings") or ()]
        assert cells[1:4] == ["app-settings", "1", "LOG_LEVEL"]
        assert "ConfigMaps in namespace jetscale" in screen_text(app)

        await pilot.press("colon")  # the namespace switcher: namespaces of the allowed context
        await until(pilot, lambda: isinstance(app.screen, KindPicker), what="the kind picker again")
        await _type(pilot, "ns")
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is browser and browser.kind == "namespaces", what="namespaces")
        await until(pilot, lambda: {"jetscale", "default"} <= set(table.keys), what="the namespaces listed")
        table.move_cursor(row=table.keys.index("default"))
        await pilot.press("enter")  # browse that namespace, back on the kind browsed before
        await until(
            pilot, lambda: browser.kind == "configmaps" and browser.namespace == "default", what="switched"
        )
        await until(pilot, lambda: "default/kube-root-ca.crt" in table.keys, what="default's ConfigMaps")
        assert "jetscale/app-settings" not in table.keys
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, what="back on the dashboard")
        await until(
            pilot, lambda: app.session.store.state.browse.kind == "", what="the browser's watch stopped"
        )


async def test_describe_and_yaml_of_a_pod_a_deployment_and_a_secret_with_its_values_hidden(
    sim_stack: BackgroundSimulator,
) -> None:
    sim_stack.apply(_extras(), "jetscale")
    app = DevstackApp(live_session(), watch=True, tour=False, interval=0.1)
    async with _closing(app), app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _ready(app, "jetscale-backend"), timeout=60, what="the backend Ready")
        backend = pod_key(app, "jetscale-backend")
        assert backend is not None
        await select_pod(pilot, app, backend)

        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InspectScreen), what="describe")
        view = app.screen
        assert isinstance(view, InspectScreen)
        await until(pilot, lambda: "Containers:" in view.text, what="the pod described")
        text = view.text
        for part in (
            "Name:",
            "Namespace:        jetscale",
            "Status:",
            "State:",
            "Ready:",
            "Conditions:",
            "Events:",
        ):
            assert part in text, part
        assert f"Describe pod/{backend.split('/')[1]}" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: "kind: Pod" in view.text, what="the pod's YAML")
        assert "managedFields" not in view.text
        await pilot.press("escape")

        workloads = app.main.pane("workloads")
        await until(pilot, lambda: "jetscale/jetscale-backend" in workloads.keys, what="workloads")
        app.main.select_tab("workloads")
        workloads.focus()
        workloads.move_cursor(row=workloads.keys.index("jetscale/jetscale-backend"))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InspectScreen), what="describe the deployment")
        view = app.screen
        assert isinstance(view, InspectScreen)
        await until(pilot, lambda: "Replicas:" in view.text, what="the deployment described")
        assert "NewReplicaSet:   jetscale-backend-" in view.text
        assert "RollingUpdateStrategy" in view.text or "StrategyType" in view.text
        await pilot.press("escape")

        browser = await _browse(pilot, app, "secrets")
        await until(pilot, lambda: "jetscale/db-credentials" in browser.table.keys, what="the Secret listed")
        assert "url,user" in screen_text(app)  # keys only
        browser.table.move_cursor(row=browser.table.keys.index("jetscale/db-credentials"))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, InspectScreen), what="the Secret's YAML")
        view = app.screen
        assert isinstance(view, InspectScreen)
        await until(pilot, lambda: "kind: Secret" in view.text, what="the YAML")
        assert "<hidden: 32 bytes>" in view.text and "<hidden: 4 bytes>" in view.text
        assert (
            SECRET_VALUE not in view.text
            and base64.b64encode(SECRET_VALUE.encode()).decode() not in view.text
        )
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, KeyPicker), what="the key picker")
        await pilot.press("enter")  # the first key: url
        await until(pilot, lambda: SECRET_VALUE in view.text, what="url revealed")
        assert "<hidden: 4 bytes>" in view.text  # only that key
        assert SECRET_VALUE in screen_text(app)
        await pilot.press("i")
        await until(pilot, lambda: "Data" in view.text and "url:" in view.text, what="the Secret described")
        assert SECRET_VALUE not in view.text and "32 bytes" in view.text


async def test_workload_logs_show_both_pods_lines_in_order_across_a_pod_replacement(
    sim_stack: BackgroundSimulator, tmp_path: Path
) -> None:
    app = DevstackApp(live_session(), watch=True, tour=False, interval=0.1, state_dir=tmp_path)
    async with _closing(app), app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _ready(app, "jetscale-backend"), timeout=60, what="the backend Ready")
        deployments = lambda: app.session.store.state.deployments  # noqa: E731
        await until(pilot, lambda: "jetscale/jetscale-backend" in deployments(), what="its Deployment")
        first = pod_key(app, "jetscale-backend")
        assert first is not None
        first_name = first.split("/")[1]
        await select_pod(pilot, app, first)
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, WorkloadLogsScreen), what="the workload logs")
        logs = app.screen
        assert isinstance(logs, WorkloadLogsScreen)
        assert logs.target_name == "deployment/jetscale-backend"

        def pods_in_log() -> list[str]:
            return [line.pod for line in logs.buffer.lines if line.pod]

        await until(pilot, lambda: first_name in pods_in_log(), timeout=30, what="the first pod's lines")
        app.work("delete", lambda: app.session.delete_pod(first_name))

        def replaced() -> bool:
            return any(name != first_name for name in pods_in_log())

        await until(pilot, replaced, timeout=60, what="the new pod's lines")
        await until(
            pilot,
            lambda: any("shut down" in line.text for line in logs.buffer.lines),
            what="the old pod's last line",
        )
        lines = logs.buffer.lines
        assert lines == sorted(lines)  # in time order
        order = [line.pod for line in lines if line.pod]
        last_old = max(i for i, pod in enumerate(order) if pod == first_name)
        first_new = min(i for i, pod in enumerate(order) if pod != first_name)
        assert last_old < first_new  # the old pod's lines, then the new pod's
        shown = logs.lines_shown
        assert any(line.startswith(f"[pod/{first_name}/backend] ") for line in shown)

        await pilot.press("t")  # timestamps on
        await until(pilot, lambda: logs.lines_shown[0][:4].isdigit(), what="timestamps shown")  # noqa: PLW0108
        await pilot.press("s")
        saved = tmp_path / "logs"
        await until(pilot, lambda: saved.exists() and any(saved.iterdir()), what="the saved log")
        content = next(saved.iterdir()).read_text()
        assert f"[pod/{first_name}/backend]" in content and content.splitlines()[0][:4].isdigit()

        await pilot.press("w")  # wrap on
        assert logs.wrap and logs.log_view.wrap and "timestamps, wrap" in screen_text(app)
        await pilot.press("p")  # the previous instances: the new pod has none, and says so
        await until(pilot, lambda: "previous instances" in screen_text(app), what="the previous log")
        await until(
            pilot,
            lambda: any(
                line.notice and 'previous terminated container "backend"' in line.text
                for line in logs.buffer.lines
            ),
            what="the API's answer for a container that never restarted",
        )
        assert not any(line.pod for line in logs.buffer.lines)  # no current line mixed in
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, what="back")
