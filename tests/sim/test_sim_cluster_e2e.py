"""End to end with the real cluster side plugged in: kubectl apply, wait, logs, rollout, port-forward, delete."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.stream import portforward
from sim_helpers import kubectl, kubectl_available, new_client

from devstack.sim.app import Simulator
from devstack.sim.resources import PODS

cluster = pytest.importorskip("devstack.sim.cluster")

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "jetscale"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not kubectl_available(), reason="kubectl is not installed"),
    pytest.mark.skipif(
        not CHART.is_dir() or shutil.which("helm") is None, reason="charts/jetscale or helm missing"
    ),
]


@pytest.fixture
async def live(tmp_path: Path, sim_kubeconfig: Path) -> AsyncIterator[Simulator]:
    """A simulator with `devstack.sim.cluster.Cluster` as its runtime."""
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

    def fetch() -> bytes:
        forward = portforward(core.connect_get_namespaced_pod_portforward, name, "default", ports="8000")
        sock: socket.socket = forward.socket(8000)
        sock.setblocking(True)
        sock.settimeout(10)
        sock.sendall(b"GET /api/hello HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := sock.recv(4096):
            data += chunk
        forward.close()
        return data

    answer = await asyncio.to_thread(fetch)
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"hello from jetscale-backend" in answer

    logs = await kubectl(live, "logs", name, "--tail=20")
    assert logs.code == 0, logs.err
    assert "GET /api/hello" in logs.out

    deleted = await kubectl(live, "delete", "pod", name, "--timeout=60s")
    assert deleted.code == 0, deleted.err
    assert live.store.get(PODS, "default", name) is None  # the kubelet finished the graceful delete
