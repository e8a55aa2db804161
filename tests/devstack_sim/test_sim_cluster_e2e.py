"""End to end with the real cluster side plugged in: kubectl apply, wait, logs, rollout, port-forward, delete."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from helpers import REPO, require
from kubernetes import client
from sim_helpers import client_ssl, kubectl, kubectl_available, new_client, portforward_fetch

from devstack_sim import cluster
from devstack_sim.app import Simulator
from devstack_sim.resources import PODS

CHART = REPO / "charts" / "jetscale"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _kubectl_and_helm_installed() -> None:
    require(kubectl_available(), "kubectl")
    require(shutil.which("helm") is not None, "helm")


@pytest.fixture
async def live(tmp_path: Path, sim_kubeconfig: Path) -> AsyncIterator[Simulator]:
    """A simulator with `devstack_sim.cluster.Cluster` as its runtime."""
    simulator = Simulator("x", tmp_path / "state", sim_kubeconfig, runtime_factory=cluster.Cluster)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def test_chart_runs_and_is_reachable(live: Simulator) -> None:
    rendered = subprocess.run(
        ["helm", "template", "jetscale", str(CHART)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    applied = await kubectl(live, "apply", "-f", "-", stdin=rendered)
    assert applied.code == 0, applied.err
    ready = await kubectl(
        live, "wait", "--for=condition=Ready", "pod", "-l", "app.kubernetes.io/name=backend", "--timeout=60s"
    )
    assert ready.code == 0, ready.err
    assert "condition met" in ready.out
    rollout = await kubectl(live, "rollout", "status", "deployment/jetscale-backend", "--timeout=60s")
    assert rollout.code == 0 and "successfully rolled out" in rollout.out, rollout.err

    pods = json.loads(
        (await kubectl(live, "get", "pods", "-l", "app.kubernetes.io/name=backend", "-o", "json")).out
    )
    name = pods["items"][0]["metadata"]["name"]
    core = client.CoreV1Api(new_client(live))

    request = b"GET /api/hello HTTP/1.0\r\nHost: x\r\n\r\n"
    answer = await asyncio.to_thread(portforward_fetch, core, name, 8000, request)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"hello from jetscale-backend" in answer

    logs = await kubectl(live, "logs", name, "--tail=20")
    assert logs.code == 0, logs.err
    assert "GET /api/hello" in logs.out

    deleted = await kubectl(live, "delete", "pod", name, "--timeout=60s")
    assert deleted.code == 0, deleted.err
    assert live.store.get(PODS, "default", name) is None  # the kubelet finished the graceful delete


async def test_admin_faults_reach_the_cluster(live: Simulator) -> None:
    manifest = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: victim}\n"
        "spec: {containers: [{name: backend, image: jetscale-backend:dev, env: [{name: PORT, value: '0'}]}]}\n"
    )
    assert (await kubectl(live, "apply", "-f", "-", stdin=manifest)).code == 0
    ready = await kubectl(live, "wait", "--for=condition=Ready", "pod/victim", "--timeout=60s")
    assert ready.code == 0, ready.err
    connector = aiohttp.TCPConnector(ssl=client_ssl(live))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def fault(body: dict[str, object]) -> dict[str, object]:
            async with session.post(live.server.url + "/admin/faults", json=body) as resp:
                assert resp.status == 200, await resp.text()
                return dict(await resp.json())

        answer = await fault({"fault": "inject_oom", "namespace": "default", "pod": "victim"})
        assert isinstance(answer["result"], int)  # the killed pid

        def last_state() -> dict[str, object]:
            status = live.store.get(PODS, "default", "victim")["status"]
            return dict((status.get("containerStatuses") or [{}])[0].get("lastState") or {})

        for _ in range(100):
            if last_state().get("terminated"):
                break
            await asyncio.sleep(0.1)
        terminated = last_state()["terminated"]
        assert (
            isinstance(terminated, dict)
            and terminated["reason"] == "OOMKilled"
            and terminated["exitCode"] == 137
        )
        restarted = await kubectl(live, "wait", "--for=condition=Ready", "pod/victim", "--timeout=60s")
        assert restarted.code == 0, restarted.err
        await fault({"fault": "kill_process", "namespace": "default", "pod": "victim", "exit_code": 3})
        for _ in range(100):
            status = live.store.get(PODS, "default", "victim")["status"]
            if status["containerStatuses"][0].get("restartCount", 0) >= 2:
                break
            await asyncio.sleep(0.1)
        assert status["containerStatuses"][0]["restartCount"] >= 2
        assert status["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 3
