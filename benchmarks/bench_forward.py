"""devstack's forwarder against the alternatives, side by side in one run.

1. Latency and throughput through the forward as ratios to talking to the process directly:
   keep-alive requests, a new connection per request, and a bulk download.
2. Pod replacement: a client sends requests in a loop while the backend pod is deleted and
   replaced, once through devstack's forwarder and once through `kubectl port-forward` restarted
   whenever it exits (Skaffold's design). Failed requests and the longest wait are recorded.
3. Idle connections: `--idle` (500) TCP connections held open on the frontend's port while requests
   alternate between the backend's and the frontend's ports; failures (must be 0) and p50/p99
   latency, as ratios to the same requests with no idle connection held.

Run: `.venv/bin/python -m benchmarks.bench_forward [--requests 300] [--bulk-mib 64] [--idle 500]`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import free_port, report

REPO = Path(__file__).resolve().parents[1]


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> bytes:
    conn = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={} if connection else {"Connection": "close"})
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"HTTP {response.status}")
        return body
    finally:
        if connection is None:
            conn.close()


def latencies(port: int, requests: int, keep_alive: bool, gap: float = 0.0) -> list[float]:
    samples = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30) if keep_alive else None
    try:
        for _ in range(requests):
            time.sleep(gap)
            start = time.perf_counter()
            get(port, "/healthz", conn)
            samples.append(time.perf_counter() - start)
    finally:
        if conn is not None:
            conn.close()
    return samples


def throughput(port: int, size: int) -> float:
    start = time.perf_counter()
    body = get(port, f"/api/bytes?n={size}")
    assert len(body) == size
    return size / (time.perf_counter() - start)


def direct_backend() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(REPO / "demo/backend/app.py")],
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _answers(port), 20, "direct backend")
    return process, port


def _answers(port: int) -> bool:
    try:
        get(port, "/healthz")
    except OSError:
        return False
    return True


def replacement_run(
    port: int, delete: Callable[[], None], new_pod_serving: Callable[[], bool]
) -> dict[str, Any]:
    """Requests in a loop across a pod deletion; failures and waits."""
    failures: list[str] = []
    waits: list[float] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            try:
                get(port, "/api/hello")
            except (OSError, http.client.HTTPException) as err:
                failures.append(type(err).__name__)
                time.sleep(0.02)
            waits.append(time.perf_counter() - start)

    client = threading.Thread(target=loop)
    client.start()
    time.sleep(1.0)
    delete()
    try:
        wait_until(new_pod_serving, 60, "new pod serving")
        time.sleep(1.0)
    finally:
        stop.set()
        client.join(timeout=60)
    return {
        "requests": len(waits),
        "failed": len(failures),
        "failure_kinds": sorted(set(failures)),
        "longest_wait_ms": round(max(waits) * 1000, 1) if waits else None,
        "median_ms": round(statistics.median(waits) * 1000, 2) if waits else None,
    }


def idle_connections_run(
    frontend: int, backend: int, idle: int, requests: int, open_tunnels: Callable[[], int]
) -> dict[str, Any]:
    """Hold `idle` silent connections on `frontend`, then time requests alternating both ports."""
    held: list[socket.socket] = []
    samples: list[float] = []
    failures: list[str] = []
    try:
        for _ in range(idle):
            held.append(socket.create_connection(("127.0.0.1", frontend), timeout=30))
        wait_until(lambda: open_tunnels() >= idle, 120, f"{idle} idle tunnels open")
        for index in range(requests):
            port, path = (backend, "/healthz") if index % 2 == 0 else (frontend, "/")
            start = time.perf_counter()
            try:
                get(port, path)
            except (OSError, http.client.HTTPException) as err:
                failures.append(type(err).__name__)
            samples.append(time.perf_counter() - start)
    finally:
        for sock in held:
            sock.close()
    percentiles = statistics.quantiles(samples, n=100)
    return {
        "idle_connections": idle,
        "requests": len(samples),
        "failed": len(failures),
        "failure_kinds": sorted(set(failures)),
        "p50_ms": round(statistics.median(samples) * 1000, 2),
        "p99_ms": round(percentiles[98] * 1000, 2),
    }


class KubectlRestartLoop:
    """`kubectl port-forward svc/NAME` restarted whenever it exits: what Skaffold does."""

    def __init__(self, kubeconfig: str, context: str, namespace: str, service: str, local: int, remote: int):
        self.args = [
            "kubectl",
            "--kubeconfig",
            kubeconfig,
            "--context",
            context,
            "-n",
            namespace,
            "port-forward",
            "--pod-running-timeout",
            "1s",
            f"svc/{service}",
            f"{local}:{remote}",
        ]
        self.stop = threading.Event()
        self.restarts = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None and not self.stop.is_set():
                time.sleep(0.05)
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
            else:
                self.restarts += 1


class SimProcess:
    """`python -m devstack_sim serve` in its own process, as the kind stand-in runs it."""

    def __init__(self, home: Path, name: str = "bench"):
        self.kubeconfig = str(home / "kubeconfig")
        self.context = f"kind-{name}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack_sim",
                "serve",
                "--name",
                name,
                "--kubeconfig",
                self.kubeconfig,
                "--state-dir",
                str(home / "sim"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "serving" not in line:
            raise RuntimeError(f"simulator did not start: {line!r}")

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            ["kubectl", "--kubeconfig", self.kubeconfig, "--context", self.context, *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def main() -> None:
    import json

    import yaml

    from devstack.core.store import Store
    from devstack.profile.models import Forward
    from devstack.sources.forwarder import ForwardThread
    from devstack.sources.kube import ClusterWatch, KubeTarget
    from devstack_sim.background import helm_template

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--bulk-mib", type=int, default=64)
    parser.add_argument("--idle", type=int, default=500)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-forward-"))
    os.environ["KUBECONFIG"] = str(home / "kubeconfig")
    os.environ["KUBECACHEDIR"] = str(home / "cache")
    sim = SimProcess(home)
    direct, direct_port = direct_backend()
    forward_port, frontend_port = free_port(), free_port()
    target = KubeTarget(sim.context, "jetscale", sim.kubeconfig)
    store = Store()
    watch = ClusterWatch(target, store.dispatch)
    forwarder = ForwardThread(
        store,
        target,
        (
            Forward(name="backend", service="jetscale-backend", remote_port=8000, local_port=forward_port),
            Forward(name="frontend", service="jetscale-frontend", remote_port=3000, local_port=frontend_port),
        ),
    )
    results: dict[str, Any] = {}
    try:
        sim.kubectl("create", "namespace", "jetscale")
        manifests = yaml.safe_dump_all(helm_template(REPO / "charts/jetscale", "jetscale", "jetscale"))
        sim.kubectl("apply", "-n", "jetscale", "-f", "-", stdin=manifests)
        watch.start()
        forwarder.start()
        wait_until(
            lambda: all(
                store.state.forwards.get(name) and store.state.forwards[name].status == "ready"
                for name in ("backend", "frontend")
            ),
            60,
            "forwards ready",
        )
        # new_connection: back to back; new_connection_spaced: 50 ms apart, as a browser opening a
        # connection now and then (devstack keeps one WebSocket warm per forward for that case).
        for name, keep, gap in (
            ("keep_alive", True, 0.0),
            ("new_connection", False, 0.0),
            ("new_connection_spaced", False, 0.05),
        ):
            direct_ms = statistics.median(latencies(direct_port, args.requests, keep, gap)) * 1000
            forward_ms = statistics.median(latencies(forward_port, args.requests, keep, gap)) * 1000
            results[name] = {
                "direct_median_ms": round(direct_ms, 3),
                "forward_median_ms": round(forward_ms, 3),
                "ratio": round(forward_ms / direct_ms, 2),
            }
        size = args.bulk_mib * 1024 * 1024
        direct_rate = max(throughput(direct_port, size) for _ in range(2))
        forward_rate = max(throughput(forward_port, size) for _ in range(2))
        results["bulk"] = {
            "bytes": size,
            "direct_MiB_s": round(direct_rate / 2**20, 1),
            "forward_MiB_s": round(forward_rate / 2**20, 1),
            "ratio": round(forward_rate / direct_rate, 3),
        }

        def backend_pod() -> str:
            pods = json.loads(sim.kubectl("get", "pods", "-n", "jetscale", "-o", "json"))["items"]
            live = [
                p["metadata"]["name"]
                for p in pods
                if p["metadata"]["name"].startswith("jetscale-backend")
                and not p["metadata"].get("deletionTimestamp")
            ]
            return live[0] if live else ""

        def replace_through(port: int) -> dict[str, Any]:
            old = backend_pod()
            return replacement_run(
                port,
                lambda: sim.kubectl("delete", "pod", "-n", "jetscale", old, "--wait=false"),
                lambda: _serves_other_than(port, old),
            )

        def frontend_tunnels() -> int:
            return store.state.forwards["frontend"].active

        quiet = idle_connections_run(frontend_port, forward_port, 0, args.requests, frontend_tunnels)
        loaded = idle_connections_run(frontend_port, forward_port, args.idle, args.requests, frontend_tunnels)
        results["idle_connections"] = {
            "baseline_no_idle": quiet,
            "with_idle": loaded,
            "p50_ratio": round(loaded["p50_ms"] / quiet["p50_ms"], 2),
            "p99_ratio": round(loaded["p99_ms"] / quiet["p99_ms"], 2),
        }

        results["replacement_devstack"] = replace_through(forward_port)
        kubectl_port = free_port()
        loop = KubectlRestartLoop(
            sim.kubeconfig, sim.context, "jetscale", "jetscale-backend", kubectl_port, 8000
        )
        loop.thread.start()
        wait_until(lambda: _answers(kubectl_port), 60, "kubectl port-forward answering")
        results["replacement_kubectl_restart_loop"] = replace_through(kubectl_port)
        loop.stop.set()
        loop.thread.join(timeout=20)
        results["replacement_kubectl_restart_loop"]["kubectl_restarts"] = loop.restarts
    finally:
        forwarder.stop()
        watch.stop()
        direct.terminate()
        direct.wait(timeout=10)
        sim.stop()
    report("forward", results)


def _serves_other_than(port: int, old_pod: str) -> bool:
    import json

    try:
        return json.loads(get(port, "/api/hello"))["pod"] != old_pod
    except (OSError, ValueError, http.client.HTTPException):
        return False


if __name__ == "__main__":
    main()
