"""Forwards under load: idle connections on one port never starve new requests on any port,
idle tunnels close after `idle_timeout`, and a forward refuses connections beyond `max_connections`.

One simulated cluster (pods are the demo apps as local processes) serves every test of the module.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from helpers import http_status, wait_for

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import ClusterWatch, KubeTarget

pytestmark = pytest.mark.slow


def free_ports(count: int) -> list[int]:
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


@contextmanager
def forwarding(target: KubeTarget, **frontend: object) -> Iterator[tuple[Store, Forward, Forward]]:
    """The frontend (with `frontend` settings) and backend forwards on free ports, both ready."""
    frontend_port, backend_port = free_ports(2)
    forwards = (
        Forward(
            name="frontend",
            service="jetscale-frontend",
            remote_port=3000,
            local_port=frontend_port,
            **frontend,  # type: ignore[arg-type]
        ),
        Forward(name="backend", service="jetscale-backend", remote_port=8000, local_port=backend_port),
    )
    store = Store()
    watch = ClusterWatch(target, store.dispatch, interval=0.05)
    watch.start()
    thread = ForwardThread(store, target, forwards)
    try:
        thread.start()
        wait_for(
            lambda: all(
                store.state.forwards.get(f.name) and store.state.forwards[f.name].status == "ready"
                for f in forwards
            ),
            timeout=60,
            what="both forwards ready",
        )
        yield store, forwards[0], forwards[1]
    finally:
        thread.stop()
        watch.stop()


def hold_idle(port: int, count: int) -> list[socket.socket]:
    """`count` TCP connections to `port` that never send a byte."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        held.append(sock)
    return held


def test_many_idle_connections_on_one_port_never_starve_requests_on_either_port(shared_sim) -> None:
    with forwarding(shared_sim) as (store, frontend, backend):
        held = hold_idle(frontend.local_port, 150)
        try:
            wait_for(
                lambda: store.state.forwards["frontend"].active >= 150,
                timeout=30,
                what="150 idle tunnels open on the frontend",
            )
            statuses = [http_status(backend.local_port, "/healthz") for _ in range(5)]
            statuses += [http_status(frontend.local_port, "/") for _ in range(5)]
        finally:
            for sock in held:
                sock.close()
    assert statuses == [200] * 10


def test_an_idle_tunnel_is_closed_after_idle_timeout_while_a_talking_one_stays_open(shared_sim) -> None:
    with forwarding(shared_sim, idle_timeout=2) as (store, frontend, _backend):
        idle = socket.create_connection(("127.0.0.1", frontend.local_port), timeout=30)
        talking = http.client.HTTPConnection("127.0.0.1", frontend.local_port, timeout=10)
        try:
            statuses, sockets = [], set()
            for _ in range(15):  # about 3 s of requests 0.2 s apart on one keep-alive connection
                talking.request("GET", "/")
                response = talking.getresponse()
                response.read()
                statuses.append(response.status)
                sockets.add(id(talking.sock))
                threading.Event().wait(0.2)
            assert idle.recv(1) == b"", "the idle connection was closed by the forward"
        finally:
            idle.close()
            talking.close()
        assert statuses == [200] * 15
        assert len(sockets) == 1, "the talking connection was never closed"
        wait_for(lambda: store.state.forwards["frontend"].idle_closed >= 1, what="idle closure counted")
        assert "no ready endpoint" not in store.state.forwards["frontend"].last_error


def test_connections_beyond_max_connections_are_closed_at_once_and_said_so(shared_sim) -> None:
    with forwarding(shared_sim, max_connections=3) as (store, frontend, backend):
        held = hold_idle(frontend.local_port, 3)
        try:
            wait_for(lambda: store.state.forwards["frontend"].active == 3, what="3 tunnels open")
            extra = socket.create_connection(("127.0.0.1", frontend.local_port), timeout=10)
            with extra:
                assert extra.recv(1) == b""
            wait_for(lambda: store.state.forwards["frontend"].refused == 1, what="the refusal counted")
            error = store.state.forwards["frontend"].last_error
            assert "connection limit reached: 3 connections open" in error
            assert "max_connections of frontend: 3" in error
            assert http_status(backend.local_port, "/healthz") == 200, "the other forward has its own limit"
        finally:
            for sock in held:
                sock.close()
        wait_for(lambda: store.state.forwards["frontend"].active == 0, what="held tunnels closed")
        assert http_status(frontend.local_port, "/") == 200
