"""A simulated cluster in its own process (as the kind stand-in runs it), seeded with N pods.

Shared by the benchmarks that compare devstack with kubectl on the same simulator at scale.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
NAME = "jetscale"  # profiles/local-kind.yaml: cluster jetscale (context kind-jetscale), namespace jetscale
NAMESPACE = "jetscale"


@dataclass(frozen=True)
class ServedCluster:
    """A running simulator process: its kubeconfig, context and the environment for children."""

    kubeconfig: str
    context: str
    process: subprocess.Popen[str]

    def kubectl(self, *args: str) -> list[str]:
        """A kubectl command line bound to this cluster's kubeconfig and context."""
        return ["kubectl", "--kubeconfig", self.kubeconfig, "--context", self.context, *args]


def deployment(replicas: int, name: str = "noop") -> dict[str, Any]:
    """A Deployment of processless `sim/noop` pods in the benchmark namespace."""
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
            },
        },
    }


@contextlib.contextmanager
def served_cluster(pods: int, timeout: float = 600) -> Iterator[ServedCluster]:
    """Start the simulator, create a namespace with a Deployment of `pods` pods, wait until all run."""
    home = Path(tempfile.mkdtemp(prefix="bench-sim-"))
    kubeconfig = str(home / "kubeconfig")
    state_dir = ("--state-dir", str(home / "sim"))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack_sim",
            "serve",
            "--name",
            NAME,
            "--kubeconfig",
            kubeconfig,
            *state_dir,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None and "serving" in process.stdout.readline()
        cluster = ServedCluster(kubeconfig, f"kind-{NAME}", process)
        _apply(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        if pods:
            _apply(cluster, deployment(pods))
        _wait_running(cluster, pods, time.monotonic() + timeout)
        yield cluster
    finally:
        process.terminate()
        process.wait(timeout=60)


def _apply(cluster: ServedCluster, manifest: dict[str, Any]) -> None:
    subprocess.run(
        cluster.kubectl("apply", "-f", "-"),
        input=json.dumps(manifest),
        text=True,
        check=True,
        capture_output=True,
    )


def _wait_running(cluster: ServedCluster, pods: int, deadline: float) -> None:
    while True:
        out = subprocess.run(
            cluster.kubectl(
                "get", "pods", "-n", NAMESPACE, "--no-headers", "--field-selector=status.phase=Running"
            ),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        running = sum(1 for line in out.splitlines() if line.strip())
        if running >= pods:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {running}/{pods} pods running")
        time.sleep(2)
