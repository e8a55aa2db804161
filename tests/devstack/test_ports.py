"""Port holders without root: when `psutil.net_connections()` is refused (macOS without sudo), the
holder is found by asking each of the user's processes for its connections."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from devstack.sources.ports import port_holder


def listener(port: int) -> subprocess.Popen[bytes]:
    code = (
        "import socket, time\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
        "print('up', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, "fallback-holder-marker"], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"up"
    return child


def test_the_holder_is_named_when_system_wide_connections_are_refused(
    free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused: list[str] = []

    def no_root(kind: str = "inet") -> object:
        refused.append(kind)
        raise psutil.AccessDenied(pid=None, msg="net_connections needs root on this system")

    monkeypatch.setattr(psutil, "net_connections", no_root)
    child = listener(free_port)
    try:
        holder = port_holder(free_port)
    finally:
        child.kill()
        child.wait()
    assert refused == ["tcp"]
    assert holder.pid == child.pid
    assert "fallback-holder-marker" in holder.cmdline


def test_nobody_is_named_for_a_free_port_on_the_fallback_path(
    free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_root(kind: str = "inet") -> object:
        raise psutil.AccessDenied(pid=None)

    monkeypatch.setattr(psutil, "net_connections", no_root)
    assert port_holder(free_port).pid is None
