"""Pure parts of the tilt stand-in: `tilt ci`'s exit logic (TILT.md §2.3), the UIResource status
derivations (§4.2), Tilt's view of a pod, the stream prefix (§1.3) and the Tiltfile args (§6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devstack_sim.standins import tiltargs, tiltci
from devstack_sim.standins.tiltdeploy import pod_info
from devstack_sim.standins.tiltlog import source_prefix
from devstack_sim.standins.tiltstate import Build, PodInfo, ResourceState, ui_resource


def target(name: str, kind: str, **state: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "resources": [name.split(":", maxsplit=1)[0]], "state": state}


TILTFILE_DONE = target("tiltfile:update", "job", terminated={"startTime": "t", "finishTime": "t"})


def test_ci_succeeds_only_when_every_target_is_done_and_ready() -> None:
    ready = [
        TILTFILE_DONE,
        target("web:runtime", "server", active={"startTime": "t", "ready": True}),
        target("web:update", "job", terminated={"startTime": "t", "finishTime": "t"}),
    ]
    assert tiltci.verdict(ready, 1, 1800, 300, "") == (True, "")
    assert tiltci.verdict([TILTFILE_DONE], 1, 1800, 300, "") == (False, "")  # zero resources never succeed
    starting = [
        *ready[:1],
        target("web:runtime", "server", active={"startTime": "t", "ready": False}),
        ready[2],
    ]
    assert tiltci.verdict(starting, 1, 1800, 300, "") == (False, "")


def test_ci_errors_timeouts_and_the_cluster() -> None:
    failed = target("api:update", "job", terminated={"startTime": "t", "finishTime": "t", "error": "boom"})
    assert tiltci.verdict([TILTFILE_DONE, failed], 1, 1800, 300, "") == (True, "boom")
    assert tiltci.verdict([TILTFILE_DONE, failed], 1, 1800, 300, "refused") == (
        True,
        "cluster connection failed",
    )
    waiting = [
        TILTFILE_DONE,
        target("web:update", "job", waiting={"waitReason": "waiting-for-dep"}),
        target("api:runtime", "server", active={"startTime": "t", "ready": False}),
    ]
    assert tiltci.verdict(waiting, 31, 30, 0, "") == (
        True,
        "Timeout after 30s: 1 resources waiting (web:update waiting-for-dep), 1 resources not ready (api:runtime)",
    )
    assert tiltci.verdict(waiting, 301, 1800, 300, "") == (
        True,
        "Readiness timeout after 5m0s: target api:runtime not ready",
    )


def test_status_derivations_of_a_resource() -> None:
    resource = ResourceState("api", 2, "k8s", pending_since=1.0)
    shown = ui_resource(resource)["status"]
    assert (shown["updateStatus"], shown["runtimeStatus"]) == ("pending", "pending")
    resource.pending_since = None
    resource.builds = [Build(1.0, 2.0, "failed to solve: boom")]
    shown = ui_resource(resource)["status"]
    assert (shown["updateStatus"], shown["runtimeStatus"]) == ("error", "pending")  # never deployed
    assert shown["buildHistory"][0]["error"] == "failed to solve: boom"
    assert {c["type"]: c.get("reason") for c in shown["conditions"]} == {
        "Ready": "UpdateError",
        "UpToDate": "UpdateError",
    }
    resource.builds.insert(0, Build(3.0, 4.0))
    resource.deployed_at = 4.0
    resource.pod = PodInfo("api-1", 4.0, "CrashLoopBackOff", "back-off", False, 3, "error", "api")
    shown = ui_resource(resource)["status"]
    assert (shown["updateStatus"], shown["runtimeStatus"]) == ("ok", "error")
    assert shown["k8sResourceInfo"]["podRestarts"] == 3
    assert shown["pendingBuildSince"] is None and shown["lastDeployTime"].endswith("Z")
    resource.disabled = True
    shown = ui_resource(resource)["status"]
    assert (shown["updateStatus"], shown["runtimeStatus"], shown["disableStatus"]["state"]) == (
        "none",
        "none",
        "Disabled",
    )


def pod(phase: str, **container: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "api-1", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"phase": phase, "containerStatuses": [{"name": "api", **container}]},
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (pod("Running", ready=True, restartCount=0, state={"running": {}}), ("Running", "ok", True)),
        (pod("Pending", ready=False, state={"waiting": {"reason": "ContainerCreating"}}), ("ContainerCreating", "pending", False)),
        (pod("Running", ready=False, restartCount=2, state={"waiting": {"reason": "CrashLoopBackOff"}}), ("CrashLoopBackOff", "error", False)),
        (pod("Pending", ready=False, state={"waiting": {"reason": "ImagePullBackOff"}}), ("ImagePullBackOff", "error", False)),
        (pod("Running", ready=False, state={"terminated": {"exitCode": 3}}), ("ExitCode:3", "error", False)),
        (pod("Succeeded", ready=False, state={"terminated": {"exitCode": 0, "reason": "Completed"}}), ("Completed", "ok", False)),
    ],
    ids=["running", "creating", "crashloop", "imagepull", "exit-3", "completed"],
)  # fmt: skip
def test_tilts_view_of_a_pod(given: dict[str, Any], expected: tuple[str, str, bool]) -> None:
    info = pod_info(given)
    assert (info.status, info.runtime, info.ready) == expected


def test_stream_prefix() -> None:
    assert source_prefix("(Tiltfile)") == ""
    assert source_prefix("api") == "          api │ "
    assert source_prefix("jetscale-backend") == "jetscale-bac… │ "


def test_tiltfile_args(tmp_path: Path) -> None:
    defs = tiltargs.ConfigDefs()
    defs.define_bool("no-port-forwards")
    defs.define_string_list("to-run", args=True)
    assert defs.parse(["--no-port-forwards", "a", "b"], tmp_path) == {
        "no-port-forwards": True,
        "to-run": ["a", "b"],
    }
    assert defs.parse(["--no-port-forwards=false"], tmp_path) == {"no-port-forwards": False}
    with pytest.raises(tiltargs.ArgsError, match="flag provided but not defined: -nope"):
        defs.parse(["--nope"], tmp_path)
    (tmp_path / "tilt_config.json").write_text('{"no-port-forwards": true}')
    assert defs.parse([], tmp_path) == {"no-port-forwards": True}
    plain = tiltargs.ConfigDefs()
    assert plain.enabled(["api", "web"]) == ["api", "web"]  # without config.parse: resource names
    with pytest.raises(tiltargs.ArgsError, match="were specified, but none were expected"):
        plain.parse(["api"], tmp_path / "elsewhere")
