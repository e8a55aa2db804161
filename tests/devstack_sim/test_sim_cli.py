"""`python -m devstack_sim serve`: the announcement line, the kubeconfig merge, a clean SIGTERM stop."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import psutil
import yaml
from helpers import REPO, require
from sim_helpers import KUBECTL, kubectl_available

LINE = re.compile(r"^devstack-sim: serving kind-(\S+) on https://127\.0\.0\.1:(\d+) \(kubeconfig (.+)\)$")


async def _serve(*args: str) -> tuple[asyncio.subprocess.Process, re.Match[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devstack_sim",
        "serve",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().rstrip("\n")
    match = LINE.match(line)
    assert match, line
    return proc, match


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(proc.wait(), 30)


async def test_serve_merges_kubeconfig_and_restarts_on_the_same_port(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "prod",
                "clusters": [{"name": "prod", "cluster": {"server": "https://prod"}}],
                "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "prod"}}],
                "users": [{"name": "prod", "user": {"token": "x"}}],
            }
        )
    )
    state = tmp_path / "state"
    proc, match = await _serve(
        "--name", "cli", "--kubeconfig", str(config), "--state-dir", str(state), "--no-runtime"
    )
    try:
        assert match.group(1) == "cli" and match.group(3) == str(config)
        data = yaml.safe_load(config.read_text())
        assert data["current-context"] == "kind-cli"
        assert {c["name"] for c in data["contexts"]} == {"prod", "kind-cli"}
        assert data["clusters"][1]["cluster"]["server"] == f"https://127.0.0.1:{match.group(2)}"
        require(kubectl_available(), "kubectl")
        got = await asyncio.create_subprocess_exec(
            KUBECTL,
            "--kubeconfig",
            str(config),
            "get",
            "ns",
            "default",
            "-o",
            "name",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await got.communicate()
        assert out.decode().strip() == "namespace/default", err
    finally:
        assert await _stop(proc) == 0
    ca = (state / "pki" / "ca.crt").read_bytes()

    again, match2 = await _serve(
        "--name",
        "cli",
        "--kubeconfig",
        str(config),
        "--state-dir",
        str(state),
        "--no-runtime",
        "--no-set-context",
    )
    try:
        assert match2.group(2) == match.group(2)  # same port
        assert (state / "pki" / "ca.crt").read_bytes() == ca  # same certificates
    finally:
        assert await _stop(again) == 0


async def test_sigterm_stops_pod_processes(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    proc, _ = await _serve(
        "--name", "pods", "--kubeconfig", str(config), "--state-dir", str(tmp_path / "state")
    )
    try:
        manifest = (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: backend, namespace: default}\n"
            "spec: {containers: [{name: backend, image: jetscale-backend:dev, ports: [{containerPort: 8000}],"
            " env: [{name: PORT, value: '0'}]}]}\n"
        )
        apply = await asyncio.create_subprocess_exec(
            KUBECTL,
            "--kubeconfig",
            str(config),
            "apply",
            "-f",
            "-",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await apply.communicate(manifest.encode())
        assert apply.returncode == 0, err
        sim = psutil.Process(proc.pid)
        children: list[psutil.Process] = []
        for _ in range(100):
            children = sim.children(recursive=True)
            if children:
                break
            await asyncio.sleep(0.1)
        assert children, "the pod's process never started"
    finally:
        assert await _stop(proc) == 0
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, [p.pid for p in alive]
    assert os.path.exists(config)
