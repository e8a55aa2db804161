"""Stopping the forwarder with connections still open leaves nothing behind for the garbage
collector (no "Event loop is closed" traceback at Ctrl-C)."""

from __future__ import annotations

import gc
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import free_port, wait_for

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import KubeTarget


@pytest.fixture
def unraisable() -> Iterator[list[Any]]:
    """What Python reports as "Exception ignored in ..." while the test runs."""
    seen: list[Any] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def test_stop_with_a_connection_waiting_for_an_endpoint(target: KubeTarget, unraisable: list[Any]) -> None:
    store = Store()
    port = free_port()
    forward = Forward(name="web", service="no-such-service", remote_port=80, local_port=port, wait_ready=60)
    thread = ForwardThread(store, target, (forward,))
    thread.start()
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: store.state.forwards["web"].active == 1, what="the connection to be held")
        thread.stop()
        gc.collect()
        assert client.recv(1) == b"", "the held connection is closed by stop"
    finally:
        client.close()
    gc.collect()
    assert [str(u.exc_value) for u in unraisable] == []
