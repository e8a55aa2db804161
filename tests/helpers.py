"""Helpers shared by test modules (importable as `helpers`: tests/ is on sys.path)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, timeout: float = 10.0) -> int:
    """The status of `GET http://127.0.0.1:PORT/PATH` on a fresh connection (body read and dropped)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def demo_settings(frontend_port: int | None = None, backend_port: int | None = None) -> Any:
    """Settings from this test's environment, with the demo on free (or the given) ports."""
    from devstack.settings import Settings

    return Settings.from_environ(
        {
            **os.environ,
            "DEVSTACK_DEMO_FRONTEND_PORT": str(frontend_port or free_port()),
            "DEVSTACK_DEMO_BACKEND_PORT": str(backend_port or free_port()),
        }
    )


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll until `predicate()` is truthy, failing the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def read_lines_until(
    stream: IO[str] | None, done: Callable[[list[str]], bool]
) -> tuple[list[str], threading.Event]:
    """Collect `stream`'s lines in a thread; the event is set once `done(lines so far)` holds."""
    assert stream is not None
    lines: list[str] = []
    reached = threading.Event()

    def read() -> None:
        for line in stream:
            lines.append(line)
            if done(lines):
                reached.set()

    threading.Thread(target=read, daemon=True).start()
    return lines, reached


def in_ci() -> bool:
    """True in CI, where a missing prerequisite must fail tests instead of skipping them."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, what: str) -> None:
    """Fail in CI, skip with a visible reason locally, when `what` is missing."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} is missing, and CI=true: .ci/run must provide it")
    pytest.skip(reason=f"{what} is missing (in CI this fails)")


def docker_error() -> str | None:
    """Why the Docker daemon cannot be used, or None when it answers a ping."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as err:  # noqa: BLE001 - any failure means "no daemon"; the reason is reported
        return f"{type(err).__name__}: {err}"
    return None


def kind_containers(cluster: str) -> list[str]:
    """Names of the node containers of kind cluster `cluster` ([] without Docker)."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        client.ping()
    except Exception:  # noqa: BLE001 - no Docker: the demo runs without node containers
        return []
    try:
        label = f"io.x-k8s.kind.cluster={cluster}"
        return [c.name for c in client.containers.list(all=True, filters={"label": label})]
    finally:
        client.close()


def render_chart(*sets: str, namespace: str = "jetscale") -> list[dict[str, Any]]:
    """`helm template` of charts/jetscale with `--set` overrides (the real helm binary)."""
    from devstack_sim.background import helm_template

    require(shutil.which("helm") is not None, "helm on PATH")
    return helm_template(REPO / "charts" / "jetscale", "jetscale", namespace, sets)


def fast_cluster_options(node_name: str = "jetscale-control-plane") -> Any:
    """Simulated kubelet timings short enough for tests."""
    from devstack_sim.runtime import ClusterOptions

    return ClusterOptions(
        node_name=node_name,
        backoff_base_seconds=0.3,
        backoff_cap_seconds=2.0,
        probe_period_cap_seconds=0.3,
        termination_grace_cap_seconds=1.0,
    )


def pods_answering(
    port: int, replace: Callable[[str], None], path: str = "/api/hello"
) -> tuple[list[str], list[str]]:
    """Request `path` on 127.0.0.1:`port` in a loop (each answer names the pod that served it);
    once requests flow, `replace(first_pod)` replaces that pod, and the loop runs on until a new
    pod answered a few times. Returns (the pods that answered, in order; the failed requests)."""
    import http.client
    import json

    failures: list[str] = []
    pods: list[str] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path, headers={"Connection": "close"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 200:
                    failures.append(f"HTTP {response.status}")
                else:
                    pods.append(json.loads(body)["pod"])
            except (OSError, http.client.HTTPException, ValueError) as err:
                failures.append(repr(err))
            finally:
                conn.close()

    client = threading.Thread(target=loop)
    client.start()
    try:
        wait_for(lambda: len(pods) >= 5, what="requests flowing")
        first = pods[0]
        replace(first)
        wait_for(lambda: pods[-1] != first, timeout=60, what="requests served by the new pod")
        served = len(pods)
        wait_for(lambda: len(pods) >= served + 5, what="more requests")
    finally:
        stop.set()
        client.join(timeout=40)
    return pods, failures
