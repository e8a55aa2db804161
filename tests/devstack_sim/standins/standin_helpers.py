"""Helpers for the stand-in tests: running the stand-ins, the unrelated kubeconfig, polling."""

from __future__ import annotations

import json
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from helpers import REPO

from devstack_sim import standin_bin

KUBECTL = "/usr/bin/kubectl"
EKS_CONTEXT = "arn:aws:eks:eu-west-1:123456789012:cluster/prod"
# Docker container names are global to the daemon (as with real kind): clusters with node containers
# get a per-session suffix, so a `devstack demo` or another test run on the same daemon never collides.
SESSION = secrets.token_hex(3)


def docker_name(base: str) -> str:
    """A cluster name unique to this test session (for clusters whose nodes live in Docker)."""
    return f"{base}-{SESSION}"


def eks_kubeconfig() -> dict[str, Any]:
    """A kubeconfig holding one EKS-looking context (the current one) that must survive every test."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": EKS_CONTEXT,
                "cluster": {
                    "server": "https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
                    "certificate-authority-data": "TFMwdExTMUNSVWRKVGlCRFJWSlVTVVpKUTBGVVJTMHRMUzB0Q2c9PQ==",
                },
            }
        ],
        "contexts": [{"name": EKS_CONTEXT, "context": {"cluster": EKS_CONTEXT, "user": EKS_CONTEXT}}],
        "users": [
            {
                "name": EKS_CONTEXT,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": ["--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod"],
                    }
                },
            }
        ],
        "current-context": EKS_CONTEXT,
    }


@dataclass
class Standins:
    """Runs the stand-ins with the test's environment."""

    home: Path
    kubeconfig: Path
    env: dict[str, str]

    BIN = standin_bin()

    def which(self, tool: str) -> str:
        """The program PATH finds (must be the stand-in)."""
        found = shutil.which(tool, path=self.env["PATH"])
        assert found is not None and Path(found).parent == self.BIN, found
        return found

    def run(
        self,
        tool: str,
        *args: str,
        cwd: Path = REPO,
        stdin: str | None = None,
        timeout: float = 180,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a stand-in (or kubectl) to completion."""
        program = KUBECTL if tool == "kubectl" else self.which(tool)
        return subprocess.run(
            [program, *args],
            cwd=cwd,
            env=env or self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def kubectl(self, context: str, *args: str) -> subprocess.CompletedProcess[str]:
        """The real kubectl against a context of the test kubeconfig."""
        return self.run("kubectl", "--kubeconfig", str(self.kubeconfig), "--context", context, *args)

    def create(self, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """`kind create cluster --name NAME --kubeconfig F`, asserting success."""
        done = self.run(
            "kind", "create", "cluster", "--name", name, "--kubeconfig", str(self.kubeconfig), *extra
        )
        assert done.returncode == 0, done.stderr
        return done

    def kubeconfig_doc(self) -> dict[str, Any]:
        """The test kubeconfig, parsed."""
        return dict(yaml.safe_load(self.kubeconfig.read_text(encoding="utf-8")))

    def server(self, context: str) -> tuple[str, int]:
        """Host and port of a context's API server."""
        doc = self.kubeconfig_doc()
        ctx = next(c for c in doc["contexts"] if c["name"] == context)["context"]
        server = next(c for c in doc["clusters"] if c["name"] == ctx["cluster"])["cluster"]["server"]
        host, port = server.removeprefix("https://").rsplit(":", 1)
        return host, int(port)

    def invocations(self) -> list[dict[str, Any]]:
        """What the stand-ins recorded."""
        path = self.home / "invocations.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]

    def api_client(self, context: str) -> Any:
        """The official kubernetes client for a context of the test kubeconfig."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig), context=context)


def connect_result(host: str, port: int) -> str:
    """`ok`, `refused` or another error name, for one TCP connect."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return "ok"
    except ConnectionRefusedError:
        return "refused"
    except OSError as err:
        return type(err).__name__


def http_through_port_forward(api: Any, namespace: str, pod: str, port: int, path: str) -> tuple[int, str]:
    """GET `path` from a pod's port through the API server's WebSocket port-forward (official client)."""
    from kubernetes import client
    from kubernetes.stream import portforward

    core = client.CoreV1Api(api)
    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))
    sock = forward.socket(port)
    sock.settimeout(10)
    try:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
        forward.close()
    head, _, body = data.decode(errors="replace").partition("\r\n\r\n")
    status = int(head.split()[1]) if head.startswith("HTTP/") else 0
    return status, body
