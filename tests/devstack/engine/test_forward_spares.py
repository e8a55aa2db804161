"""The spare WebSocket each forward keeps open ahead of the next connection: it only ever goes to
the endpoint it was opened to, one closed by the server is replaced without a failed request, and
none outlives the forwarder. The simulator's own count of open port-forward streams is the judge.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import fast_cluster_options, render_chart, wait_for

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack_sim import resources
from devstack_sim.background import BackgroundSimulator
from devstack_sim.portforward import PROTOCOLS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spares")


@pytest.fixture(scope="module")
def sim(home: Path) -> Iterator[BackgroundSimulator]:
    simulator = BackgroundSimulator(
        "jetscale", home / "sim", home / "kubeconfig", options=fast_cluster_options()
    ).start()
    try:
        simulator.apply(render_chart(), "jetscale")
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def backend(sim: BackgroundSimulator, home: Path) -> Iterator[tuple[Store, Forward, ForwardThread]]:
    """The backend forward on a free port, ready."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = KubeTarget(sim.context, "jetscale", str(home / "kubeconfig"))
    forward = Forward(
        name="backend", service="jetscale-backend", remote_port=8000, local_port=port, wait_ready=30
    )
    store = Store()
    watch = ClusterWatch(target, store.dispatch, interval=0.05)
    watch.start()
    thread = ForwardThread(store, target, (forward,))
    try:
        thread.start()
        wait_for(lambda: _view(store).status == "ready", timeout=60, what="backend forward ready")
        yield store, forward, thread
    finally:
        thread.stop()
        watch.stop()


def _view(store: Store) -> Any:
    view = store.state.forwards.get("backend")
    return view if view is not None else type("Absent", (), {"status": "", "pod": ""})()


def _hello(port: int) -> str:
    """The pod that answered `/api/hello` on a new connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/hello", headers={"Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body
        return str(json.loads(body)["pod"])
    finally:
        conn.close()


def _open_port_forwards(sim: BackgroundSimulator) -> list[Any]:
    """On the simulator's loop: the port-forward WebSockets it holds open."""
    streams = sim.simulator.server.context.streams
    return [s for s in streams if getattr(s, "ws_protocol", None) in PROTOCOLS and not s.closed]


def _port_forwards(sim: BackgroundSimulator) -> list[Any]:
    """The port-forward WebSockets the simulator holds open (its streams of the channel protocols)."""
    return sim.call(lambda: _open_port_forwards(sim))


def _spare(thread: ForwardThread) -> Any:
    return thread.forwarder._live["backend"].warm


def test_a_spare_is_opened_ahead_and_used_by_the_next_connection(sim, backend) -> None:
    store, forward, thread = backend
    _hello(forward.local_port)
    wait_for(lambda: _spare(thread) is not None, what="a spare WebSocket")
    spare = _spare(thread)
    assert spare[0].pod == _view(store).pod
    assert len(_port_forwards(sim)) == 1  # the spare, held by the API server like any stream
    assert _hello(forward.local_port) == _view(store).pod
    wait_for(lambda: _spare(thread) is not None and _spare(thread)[1] is not spare[1], what="a new spare")
    assert spare[1].finished.done()  # the spare served that connection, then closed with it


def test_after_the_pod_is_replaced_no_spare_to_the_old_pod_is_kept_or_used(sim, backend) -> None:
    store, forward, thread = backend
    _hello(forward.local_port)
    wait_for(lambda: _spare(thread) is not None, what="a spare WebSocket")
    old_pod = _view(store).pod
    old_spare = _spare(thread)[1]
    sim.call(lambda: sim.simulator.store.delete(resources.PODS, "jetscale", old_pod))
    wait_for(lambda: _view(store).pod not in ("", old_pod), timeout=60, what="the new pod ready")
    new_pod = _view(store).pod
    wait_for(
        lambda: _spare(thread) is not None and _spare(thread)[0].pod == new_pod,
        timeout=30,
        what="a spare to the new pod (the old one dropped without waiting for a connection)",
    )
    assert old_spare.finished.done() or not old_spare.usable
    assert _hello(forward.local_port) == new_pod


def test_a_spare_the_server_closed_is_replaced_without_a_failed_request(sim, backend) -> None:
    store, forward, thread = backend
    for _ in range(3):
        _hello(forward.local_port)
        wait_for(lambda: len(_port_forwards(sim)) == 1, what="only the spare open")

        spares = _port_forwards(sim)

        async def close_all(streams: list[Any] = spares) -> None:
            for stream in streams:
                await stream.close()

        sim.run(close_all)
        assert all(stream.closed for stream in spares)
        assert _hello(forward.local_port) == _view(store).pod  # silently on a fresh WebSocket


def test_no_spare_outlives_the_forwarder(sim, backend) -> None:
    _store, forward, thread = backend
    _hello(forward.local_port)
    wait_for(lambda: _spare(thread) is not None, what="a spare WebSocket")
    spare = _spare(thread)[1]
    thread.stop()
    assert spare.finished.done()
    wait_for(lambda: _port_forwards(sim) == [], what="the API server sees no port-forward left")


def test_spares_dropped_by_the_nodes_idle_timeout_cost_no_request(sim, backend) -> None:
    """The kubelet drops a stream idle for `--streaming-connection-idle-timeout` (4 h by default; 0.5 s
    here): the spare is dropped between requests, and each request still succeeds on a fresh one."""
    store, forward, thread = backend
    context = sim.simulator.server.context
    sim.call(lambda: setattr(context, "streaming_idle_timeout", 0.5))
    try:
        for _ in range(3):
            _hello(forward.local_port)
            wait_for(lambda: _spare(thread) is not None, what="a spare WebSocket")
            spare = _spare(thread)[1]
            wait_for(spare.finished.done, timeout=10, what="the node dropping the idle spare")
            assert _hello(forward.local_port) == _view(store).pod
    finally:
        sim.call(lambda: setattr(context, "streaming_idle_timeout", 4 * 3600.0))
