"""devstack's forwarder against the alternatives, side by side in one run.

devstack forwards as users run it: `devstack forward` in its own process (a profile for the
simulated cluster, with free local ports). The peer is `kubectl port-forward svc/...` against the
same simulator, also in its own process; the baseline is the backend process itself.

1. Latency and throughput through devstack's and kubectl's forwards, as ratios to talking to the
   process directly: keep-alive requests, a new connection per request (back to back, and 50 ms
   apart), and a bulk download. The three are measured in alternating slices, so machine noise
   hits them alike. Goals: keep-alive latency at most kubectl's and 2x direct; spaced new
   connections at most 2x direct; bulk at least kubectl's and 0.5x direct.
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
import json
import os
import signal
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
        self.server = line.split(" on ", 1)[1].split()[0]  # https://127.0.0.1:PORT

    def kubectl_args(self, *args: str) -> list[str]:
        """A kubectl command line against the simulator."""
        return ["kubectl", "--kubeconfig", self.kubeconfig, "--context", self.context, *args]

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        """Run kubectl against the simulator; its stdout."""
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


class DevstackForward:
    """`devstack -p PROFILE forward --json` in its own process, on a profile for the simulated cluster."""

    def __init__(self, sim: SimProcess, home: Path, ports: dict[str, int]):
        import yaml

        profile = yaml.safe_load((REPO / "profiles" / "local-kind.yaml").read_text())
        profile["name"] = "bench"
        profile["cluster"]["name"] = sim.context.removeprefix("kind-")
        profile["cluster"].pop("kind_config", None)
        for forward in profile["forwards"]:
            forward["local_port"] = ports[forward["name"]]
        path = home / "profiles" / "bench.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(profile))
        env = {**os.environ, "KUBECONFIG": sim.kubeconfig, "XDG_STATE_HOME": str(home / "state")}
        env["DEVSTACK_SIM_TOOLS"] = "1"  # a simulated kind cluster: no node container
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "-p", str(path), "forward", "--json"],
            env=env,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=(home / "forward.err").open("w"),
            text=True,
        )
        self.sim_port = int(sim.server.rsplit(":", 1)[1])
        ready: set[str] = set()
        assert self.process.stdout is not None
        while ready != set(ports):
            line = self.process.stdout.readline()
            if not line:
                errors = (home / "forward.err").read_text()[-2000:]
                raise RuntimeError(f"devstack forward ended before its forwards were ready: {errors}")
            view = json.loads(line)["forward"]
            if view["status"] == "ready":
                ready.add(view["name"])

    def tunnels(self) -> int:
        """WebSockets open from the forwarder to the API server (one per tunnel, plus the warm ones)."""
        import psutil

        connections = psutil.Process(self.process.pid).net_connections(kind="tcp")
        return sum(
            1 for c in connections if c.raddr and c.raddr.port == self.sim_port and c.status == "ESTABLISHED"
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def kubectl_forward(sim: SimProcess, service: str, local: int, remote: int) -> subprocess.Popen[bytes]:
    """`kubectl port-forward svc/SERVICE LOCAL:REMOTE`, answering once it returns."""
    process = subprocess.Popen(
        [*sim.kubectl_args("-n", "jetscale", "port-forward", f"svc/{service}", f"{local}:{remote}")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _answers(local), 60, "kubectl port-forward answering")
    return process


def compare_latency(ports: dict[str, int], requests: int, keep_alive: bool, gap: float) -> dict[str, Any]:
    """Median latency per way of reaching the backend, measured in alternating slices."""
    slices = 10
    samples: dict[str, list[float]] = {name: [] for name in ports}
    for _ in range(slices):
        for name, port in ports.items():
            samples[name] += latencies(port, max(1, requests // slices), keep_alive, gap)
    medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {
        "median_ms": {name: round(value, 3) for name, value in medians.items()},
        "ratio": round(medians["devstack"] / medians["direct"], 2),
        "ratio_kubectl": round(medians["kubectl"] / medians["direct"], 2),
        "ratio_devstack_to_kubectl": round(medians["devstack"] / medians["kubectl"], 2),
    }


def compare_bulk(ports: dict[str, int], size: int, rounds: int = 3) -> dict[str, Any]:
    """Best download rate per way of reaching the backend, alternating."""
    rates: dict[str, float] = dict.fromkeys(ports, 0.0)
    for _ in range(rounds):
        for name, port in ports.items():
            rates[name] = max(rates[name], throughput(port, size))
    return {
        "bytes": size,
        "MiB_s": {name: round(rate / 2**20, 1) for name, rate in rates.items()},
        "ratio": round(rates["devstack"] / rates["direct"], 3),
        "ratio_kubectl": round(rates["kubectl"] / rates["direct"], 3),
        "ratio_devstack_to_kubectl": round(rates["devstack"] / rates["kubectl"], 3),
    }


def main() -> None:
    import yaml

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
    forward_port, frontend_port, kubectl_port = free_port(), free_port(), free_port()
    results: dict[str, Any] = {}
    forwarder: DevstackForward | None = None
    peer: subprocess.Popen[bytes] | None = None
    try:
        sim.kubectl("create", "namespace", "jetscale")
        manifests = yaml.safe_dump_all(helm_template(REPO / "charts/jetscale", "jetscale", "jetscale"))
        sim.kubectl("apply", "-n", "jetscale", "-f", "-", stdin=manifests)
        sim.kubectl(
            "wait", "-n", "jetscale", "--for=condition=Available", "deployment", "--all", "--timeout=120s"
        )
        forwarder = DevstackForward(sim, home, {"backend": forward_port, "frontend": frontend_port})
        peer = kubectl_forward(sim, "jetscale-backend", kubectl_port, 8000)
        ports = {"direct": direct_port, "devstack": forward_port, "kubectl": kubectl_port}
        # new_connection: back to back; new_connection_spaced: 50 ms apart, as a browser opening a
        # connection now and then (devstack keeps one WebSocket warm per forward for that case).
        for name, keep, gap in (
            ("keep_alive", True, 0.0),
            ("new_connection", False, 0.0),
            ("new_connection_spaced", False, 0.05),
        ):
            results[name] = compare_latency(ports, args.requests, keep, gap)
        results["bulk"] = compare_bulk(ports, args.bulk_mib * 1024 * 1024)
        results["goals"] = {
            "keep_alive": "ratio <= 2 and ratio_devstack_to_kubectl <= 1",
            "new_connection_spaced": "ratio <= 2",
            "bulk": "ratio >= 0.5 and ratio_devstack_to_kubectl >= 1",
        }
        peer.terminate()
        peer.wait(timeout=10)
        peer = None

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

        quiet = idle_connections_run(frontend_port, forward_port, 0, args.requests, forwarder.tunnels)
        loaded = idle_connections_run(
            frontend_port, forward_port, args.idle, args.requests, forwarder.tunnels
        )
        results["idle_connections"] = {
            "baseline_no_idle": quiet,
            "with_idle": loaded,
            "p50_ratio": round(loaded["p50_ms"] / quiet["p50_ms"], 2),
            "p99_ratio": round(loaded["p99_ms"] / quiet["p99_ms"], 2),
        }

        results["replacement_devstack"] = replace_through(forward_port)
        restart_port = free_port()
        loop = KubectlRestartLoop(
            sim.kubeconfig, sim.context, "jetscale", "jetscale-backend", restart_port, 8000
        )
        loop.thread.start()
        wait_until(lambda: _answers(restart_port), 60, "kubectl port-forward answering")
        results["replacement_kubectl_restart_loop"] = replace_through(restart_port)
        loop.stop.set()
        loop.thread.join(timeout=20)
        results["replacement_kubectl_restart_loop"]["kubectl_restarts"] = loop.restarts
    finally:
        if peer is not None:
            peer.terminate()
            peer.wait(timeout=10)
        if forwarder is not None:
            forwarder.stop()
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
