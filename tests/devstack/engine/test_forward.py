"""Port forwards through the simulator's WebSocket port-forward to the demo apps running as pods."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from helpers import pods_answering, render_chart, wait_for

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack.sources.portowner import PortBusy
from devstack_sim import resources
from devstack_sim.background import BackgroundSimulator


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def get(port: int, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture
def stack(cluster_sim: BackgroundSimulator) -> Iterator[tuple[Store, list[Forward], ForwardThread]]:
    cluster_sim.apply(render_chart(), "jetscale")
    target = KubeTarget(cluster_sim.context, "jetscale", os.environ["KUBECONFIG"])
    store = Store()
    watch = ClusterWatch(target, store.dispatch, interval=0.05)
    watch.start()
    frontend_port, backend_port = free_ports(2)
    forwards = [
        Forward(name="frontend", service="jetscale-frontend", remote_port=3000, local_port=frontend_port),
        Forward(
            name="backend",
            service="jetscale-backend",
            remote_port=8000,
            local_port=backend_port,
            wait_ready=30,
        ),
    ]
    forwarder = ForwardThread(store, target, tuple(forwards))
    forwarder.start()
    try:
        yield store, forwards, forwarder
    finally:
        forwarder.stop()
        watch.stop()


def test_http_through_both_forwards_reaches_the_demo_apps(stack) -> None:
    store, (frontend, backend), forwarder = stack
    wait_for(
        lambda: all(f.status == "ready" for f in store.state.forwards.values()),
        timeout=60,
        what="forwards ready",
    )
    status, body = get(backend.local_port, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, body = get(frontend.local_port, "/")
    assert status == 200 and b"<html" in body.lower()
    view = store.state.forwards["backend"]
    assert view.pod.startswith("jetscale-backend-") and view.target_port == 8000
    wait_for(lambda: store.state.forwards["backend"].bytes_in > 0, what="byte counters")


def test_listeners_are_bound_to_127_0_0_1_only(stack) -> None:
    _store, forwards, _forwarder = stack
    ports = {f.local_port for f in forwards}
    listening = [
        c for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN and c.laddr.port in ports
    ]
    assert {c.laddr.port for c in listening} == ports
    assert {c.laddr.ip for c in listening} == {"127.0.0.1"}


def test_a_connection_waits_for_an_endpoint_instead_of_being_refused(cluster_sim, stack) -> None:
    store, (_frontend, backend), _forwarder = stack
    wait_for(lambda: store.state.forwards["backend"].status == "ready", timeout=60, what="backend ready")

    def scale(replicas: int) -> None:
        cluster_sim.simulator.store.mutate(
            resources.DEPLOYMENTS,
            "jetscale",
            "jetscale-backend",
            lambda d: d["spec"].update(replicas=replicas),
        )

    cluster_sim.call(lambda: scale(0))
    wait_for(lambda: store.state.forwards["backend"].status == "waiting", timeout=30, what="no endpoint")
    results: list[int] = []
    client = threading.Thread(
        target=lambda: results.append(get(backend.local_port, "/healthz", timeout=40)[0])
    )
    client.start()
    time.sleep(0.5)
    assert results == []  # still waiting, not refused
    cluster_sim.call(lambda: scale(1))
    client.join(timeout=45)
    assert results == [200]


def test_requests_in_a_loop_survive_pod_deletion_with_zero_failures(cluster_sim, stack) -> None:
    store, (_frontend, backend), _forwarder = stack
    wait_for(lambda: store.state.forwards["backend"].status == "ready", timeout=60, what="backend ready")

    def replace(pod: str) -> None:
        cluster_sim.call(lambda: cluster_sim.simulator.store.delete(resources.PODS, "jetscale", pod))

    pods_seen, failures = pods_answering(backend.local_port, replace)
    assert failures == []
    assert pods_seen[-1] != pods_seen[0]


def test_a_busy_port_is_refused_naming_the_holder(cluster_sim, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); print('up', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"up"
        target = KubeTarget(cluster_sim.context, "jetscale", os.environ["KUBECONFIG"])
        forwarder = ForwardThread(
            Store(),
            target,
            (Forward(name="backend", service="jetscale-backend", remote_port=8000, local_port=port),),
        )
        with pytest.raises(PortBusy) as caught:
            forwarder.start()
        assert f"pid {holder.pid}" in caught.value.message
        assert "socket.socket()" in caught.value.message  # its command line
        assert f"port {port} (backend)" in caught.value.message
        assert not caught.value.stale
        assert f"kill {holder.pid}" in caught.value.fix
    finally:
        holder.kill()
        holder.wait()
