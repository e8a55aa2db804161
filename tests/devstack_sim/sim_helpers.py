"""Helpers for the simulator tests: TLS contexts, a JSON client, kubectl and the official client."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp

from devstack_sim import certs
from devstack_sim.app import Simulator

KUBECTL = "/usr/bin/kubectl"


def client_ssl(simulator: Simulator) -> ssl.SSLContext:
    """TLS context trusting the cluster CA and presenting the admin client cert."""
    assert simulator.certs is not None
    return certs.client_ssl_context(simulator.certs, simulator.pki_dir)


def anonymous_ssl(simulator: Simulator) -> ssl.SSLContext:
    """TLS context trusting the cluster CA, without a client certificate."""
    assert simulator.certs is not None
    return ssl.create_default_context(cadata=simulator.certs.ca_cert.decode())


@dataclass
class Api:
    """A small JSON client for the simulator (aiohttp, client-cert TLS)."""

    session: aiohttp.ClientSession
    base: str

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        **params: str,
    ) -> tuple[int, Any]:
        """Send a request; returns (status, decoded JSON or text)."""
        data = None
        if body is not None:
            data = body if isinstance(body, bytes | str) else json.dumps(body)
        hdrs = {"Content-Type": content_type, **(headers or {})}
        async with self.session.request(
            method, self.base + path, data=data, headers=hdrs, params=params
        ) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text


@dataclass
class Result:
    """A finished kubectl run."""

    code: int
    out: str
    err: str


def kubectl_available() -> bool:
    """Whether the real kubectl is installed."""
    return shutil.which(KUBECTL) is not None


async def start_kubectl(simulator: Simulator, *args: str, stdin: bool = False) -> asyncio.subprocess.Process:
    """Start the real kubectl against `simulator` (its kubeconfig and context); stdout and stderr piped."""
    assert simulator.kubeconfig is not None
    return await asyncio.create_subprocess_exec(
        KUBECTL,
        "--kubeconfig",
        str(simulator.kubeconfig),
        "--context",
        simulator.context,
        *args,
        stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def kubectl(simulator: Simulator, *args: str, stdin: str | None = None, timeout: float = 60) -> Result:
    """Run the real kubectl against `simulator` (context kind-x, its kubeconfig) without blocking the loop."""
    proc = await start_kubectl(simulator, *args, stdin=stdin is not None)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else None), timeout)
    return Result(proc.returncode or 0, out.decode(), err.decode())


def new_client(simulator: Simulator) -> Any:
    """An official `kubernetes` ApiClient built from the simulator's kubeconfig entry."""
    from kubernetes import config

    assert simulator.kubeconfig is not None
    return config.new_client_from_config(config_file=str(simulator.kubeconfig), context=simulator.context)


def portforward_fetch(core: Any, pod: str, port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send `request` through the official client's port-forward to `pod` (namespace default) and
    read until the pod's side closes (blocking: run it in a thread)."""
    from kubernetes.stream import portforward

    forward = portforward(core.connect_get_namespaced_pod_portforward, pod, "default", ports=str(port))
    sock = forward.socket(port)
    sock.setblocking(True)
    sock.settimeout(timeout)
    sock.sendall(request)
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    sock.close()
    forward.close()
    return data
