"""Processes that hold local ports, for forward, doctor and check tests (importable: tests/ is on
sys.path): a plain listener, and a real devstack forwarder in its own process (marker included)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import read_lines_until

LISTEN = (
    "import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',int(sys.argv[1]))); s.listen(); "
    "print('up', flush=True); time.sleep(120)"
)
FORWARD = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from devstack.core.store import Store
    from devstack.profile.models import Forward
    from devstack.sources.forwarder import ForwardThread
    from devstack.sources.kube import KubeTarget
    from devstack.sources.portowner import PortClaims

    port, name, context, kubeconfig, state_dir, profile = sys.argv[1:7]
    forward = Forward(name=name, service=f"jetscale-{name}", remote_port=8000, local_port=int(port))
    claims = PortClaims(Path(state_dir), profile, context)
    thread = ForwardThread(Store(), KubeTarget(context, "jetscale", kubeconfig), (forward,), claims)
    thread.start()
    print("up", flush=True)
    threading.Event().wait()
    """
)


def start(args: list[str], ready: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `args` and wait until a line of its output contains `ready`."""
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env or dict(os.environ)
    )
    lines, reached = read_lines_until(process.stdout, lambda seen: any(ready in line for line in seen))
    if not reached.wait(60):
        process.kill()
        process.wait()
        pytest.fail(f"{args[0]} did not start: {''.join(lines)}")
    return process


def listener(port: int, *extra_args: str) -> subprocess.Popen[str]:
    """A plain process listening on 127.0.0.1:`port`; `extra_args` show up in its command line."""
    return start([sys.executable, "-c", LISTEN, str(port), *extra_args], "up")


def devstack_forward(
    port: int, name: str, context: str, kubeconfig: str, state_dir: Path, profile: str
) -> subprocess.Popen[str]:
    """devstack's forwarder in its own process, holding `port` for forward `name` with a marker."""
    args = [sys.executable, "-c", FORWARD, str(port), name, context, kubeconfig, str(state_dir), profile]
    return start(args, "up")


def end(process: subprocess.Popen[str]) -> None:
    """Kill (if still running) and reap."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)
