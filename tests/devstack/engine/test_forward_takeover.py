"""`--take-over` stops only what is provably a forward of this stack: a devstack forward whose marker
names the live holder, or a `kubectl port-forward` to the same context. Never a process because its
command line mentions "devstack"."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import free_port, require
from portholders import devstack_forward, end, listener, start

from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.forwarder import ForwardThread
from devstack.sources.kube import KubeTarget
from devstack.sources.portowner import PortBusy, PortClaims, read_marker

pytestmark = pytest.mark.slow


def backend(port: int) -> Forward:
    return Forward(name="backend", service="jetscale-backend", remote_port=8000, local_port=port)


def take_over(target: KubeTarget, claims: PortClaims, port: int) -> ForwardThread:
    """A forwarder of `backend` on `port`, started with `--take-over`."""
    thread = ForwardThread(Store(), target, (backend(port),), claims)
    thread.start(take_over=True)
    return thread


def test_a_process_that_only_mentions_devstack_is_never_killed_and_is_named(
    shared_sim: KubeTarget, tmp_path: Path
) -> None:
    port = free_port()
    claims = PortClaims(tmp_path / "state", "local-kind", shared_sim.context)
    holder = listener(port, "devstack", "forward", "--take-over")
    try:
        with pytest.raises(PortBusy) as caught:
            take_over(shared_sim, claims, port)
        assert holder.poll() is None, "an unrelated process was killed"
        message = caught.value.message
        assert f"pid {holder.pid}" in message and "devstack forward --take-over" in message
        assert "another process" in message
        assert not caught.value.stale and f"kill {holder.pid}" in caught.value.fix
    finally:
        end(holder)


def test_a_marked_devstack_forward_is_taken_over_and_the_marker_moves(
    shared_sim: KubeTarget, tmp_path: Path
) -> None:
    port, state = free_port(), tmp_path / "state"
    claims = PortClaims(state, "local-kind", shared_sim.context)
    other = devstack_forward(port, "backend", shared_sim.context, shared_sim.kubeconfig, state, "local-kind")
    try:
        marker = read_marker(state, port)
        assert marker is not None and marker.pid == other.pid and marker.forward == "backend"
        with pytest.raises(PortBusy) as caught:
            ForwardThread(Store(), shared_sim, (backend(port),), claims).start()
        assert caught.value.stale and "--take-over" in caught.value.fix
        assert "devstack's forward backend of profile local-kind" in caught.value.message
        thread = take_over(shared_sim, claims, port)
        try:
            assert other.wait(timeout=15) is not None
            mine = read_marker(state, port)
            assert mine is not None and mine.pid == os.getpid()
        finally:
            thread.stop()
        assert read_marker(state, port) is None, "the marker is removed when the forward ends"
    finally:
        end(other)


def test_a_marker_naming_a_reused_pid_proves_nothing(shared_sim: KubeTarget, tmp_path: Path) -> None:
    port, state = free_port(), tmp_path / "state"
    holder = listener(port)
    try:
        import psutil

        created = psutil.Process(holder.pid).create_time()
        (state / "forwards").mkdir(parents=True)
        forged = {"pid": holder.pid, "create_time": created - 60, "profile": "local-kind"}
        forged |= {"context": shared_sim.context, "port": port, "forward": "backend"}
        (state / "forwards" / f"{port}.json").write_text(json.dumps(forged))
        with pytest.raises(PortBusy) as caught:
            take_over(shared_sim, PortClaims(state, "local-kind", shared_sim.context), port)
        assert holder.poll() is None and not caught.value.stale
    finally:
        end(holder)


@pytest.mark.parametrize("how", ["--context flag", "current-context"])
def test_a_kubectl_port_forward_to_the_same_context_is_taken_over(
    shared_sim: KubeTarget, tmp_path: Path, how: str
) -> None:
    require(shutil.which("kubectl") is not None, "kubectl on PATH")
    port = free_port()
    env = {**os.environ, "KUBECONFIG": shared_sim.kubeconfig}
    context = ["--context", shared_sim.context] if how == "--context flag" else []
    args = ["kubectl", *context, "-n", "jetscale", "port-forward", "svc/jetscale-backend", f"{port}:8000"]
    kubectl = start(args, "Forwarding from", env)
    try:
        claims = PortClaims(tmp_path / "state", "local-kind", shared_sim.context)
        thread = take_over(shared_sim, claims, port)
        try:
            assert kubectl.wait(timeout=15) is not None
        finally:
            thread.stop()
    finally:
        end(kubectl)


def test_a_kubectl_port_forward_to_another_context_is_not_taken_over(
    shared_sim: KubeTarget, tmp_path: Path
) -> None:
    require(shutil.which("kubectl") is not None, "kubectl on PATH")
    port = free_port()
    env = {**os.environ, "KUBECONFIG": shared_sim.kubeconfig}
    args = ["kubectl", "--context", shared_sim.context, "-n", "jetscale", "port-forward"]
    kubectl = start([*args, "svc/jetscale-backend", f"{port}:8000"], "Forwarding from", env)
    try:
        claims = PortClaims(tmp_path / "state", "ci-kind", "kind-another-cluster")
        with pytest.raises(PortBusy) as caught:
            take_over(shared_sim, claims, port)
        assert kubectl.poll() is None and not caught.value.stale
    finally:
        end(kubectl)
