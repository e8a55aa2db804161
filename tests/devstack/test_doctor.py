"""`devstack doctor` against the real Docker daemon, real tools on PATH and real listening sockets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import REPO

from devstack.core.model import CheckStatus
from devstack.settings import Settings
from devstack.sources.doctor import TOOLS, check_docker, check_port, check_tool
from devstack.sources.tools import ToolEnv


def run_devstack(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def listen_in_child(port: int) -> subprocess.Popen[bytes]:
    """A child process listening on 127.0.0.1:port (prints READY once bound)."""
    code = (
        "import socket, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen()\n"
        "print('READY', flush=True)\n"
        "time.sleep(120)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, "holder-marker"], stdout=subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"READY"
    return child


def test_docker_check_against_the_real_daemon(docker_daemon: None) -> None:
    result = check_docker(Settings.from_environ())
    assert result.status in (CheckStatus.OK, CheckStatus.WARN)
    assert result.fact("version")
    assert int(result.fact("cpus") or 0) >= 1
    assert int(result.fact("memory_bytes") or 0) > 0


def test_docker_unreachable_is_a_required_failure_with_a_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    result = check_docker(Settings.from_environ())
    assert result.status is CheckStatus.FAIL
    assert result.required
    assert "not reachable" in result.detail
    assert "start Docker" in result.fix


def test_port_held_by_a_child_names_its_pid_and_command(free_port: int) -> None:
    child = listen_in_child(free_port)
    try:
        result = check_port("backend", free_port)
        assert result.status is CheckStatus.FAIL
        assert result.fact("pid") == str(child.pid)
        assert f"pid {child.pid}" in result.detail
        assert "holder-marker" in (result.fact("cmdline") or "")
        assert f"kill {child.pid}" in result.fix
    finally:
        child.kill()
        child.wait()
    assert check_port("backend", free_port).status is CheckStatus.OK


def test_tool_missing_and_tool_found(tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "kind").write_text("#!/bin/sh\necho 'kind v0.19.0 go1.20 linux/amd64'\n")
    (fake / "kind").chmod(0o755)
    (fake / "helm").write_text("#!/bin/sh\necho 'v4.1.4+g05fa379'\n")
    (fake / "helm").chmod(0o755)
    tools = ToolEnv({"PATH": str(fake)})
    old = check_tool(TOOLS["kind"], True, tools)
    assert old.status is CheckStatus.FAIL and "older than v0.20.0" in old.detail
    assert check_tool(TOOLS["helm"], True, tools).status is CheckStatus.OK
    missing = check_tool(TOOLS["skaffold"], True, tools)
    assert missing.status is CheckStatus.FAIL and missing.fix.startswith("install skaffold")
    optional = check_tool(TOOLS["tilt"], False, tools)
    assert optional.status is CheckStatus.WARN and not optional.required


def test_doctor_json_has_an_entry_per_tool_port_and_the_context_and_names_the_holder_of_8000() -> None:
    try:
        holder = listen_in_child(8000)
    except (AssertionError, OSError):
        pytest.fail("127.0.0.1:8000 is busy on this machine; the doctor test needs it")
    try:
        out = run_devstack("doctor", "--json")
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode in (0, 1, 3), out.stderr
    document = json.loads(out.stdout)
    checks = {c["name"]: c for c in document["checks"]}
    for name in (
        "docker",
        "tool:kind",
        "tool:kubectl",
        "tool:skaffold",
        "tool:helm",
        "tool:tilt",
        "port:3000",
        "port:8000",
        "context",
    ):
        assert name in checks, name
        assert set(checks[name]) >= {"name", "status", "detail", "fix"}
        assert checks[name]["status"] in ("ok", "warn", "fail")
    assert checks["port:8000"]["status"] == "fail"
    assert checks["port:8000"]["data"]["pid"] == str(holder.pid)
    assert str(holder.pid) in checks["port:8000"]["detail"]


def test_doctor_exit_code_3_when_a_required_tool_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = run_devstack("doctor", env={"PATH": f"{empty}"})
    assert out.returncode == 3, out.stdout + out.stderr
    assert "missing prerequisites" in out.stdout
    assert "Traceback" not in out.stderr


def test_doctor_reads_the_profiles_context_from_the_kubeconfig(isolated_home: Path) -> None:
    kubeconfig = Path(os.environ["KUBECONFIG"])
    kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: arn:aws:eks:eu-west-1:1:cluster/prod\n"
        "contexts:\n- name: kind-jetscale\n  context: {cluster: kind-jetscale, user: kind-jetscale}\n"
        "- name: arn:aws:eks:eu-west-1:1:cluster/prod\n  context: {cluster: prod, user: prod}\n"
        "clusters:\n- name: kind-jetscale\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
        "- name: prod\n  cluster: {server: 'https://prod.example.com'}\n"
        "users:\n- name: kind-jetscale\n  user: {}\n- name: prod\n  user: {}\n"
    )
    out = run_devstack("doctor", "--json")
    context = {c["name"]: c for c in json.loads(out.stdout)["checks"]}["context"]
    assert context["data"]["context"] == "kind-jetscale"
    assert context["data"]["server"] == "https://127.0.0.1:6443"
    assert "kind-jetscale" in context["detail"] and "prod" not in context["detail"]


def test_doctor_outside_a_stack_uses_defaults_and_says_so(tmp_path: Path) -> None:
    out = run_devstack("doctor", "--json", cwd=tmp_path)
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["profile"]["status"] == "warn"
    assert "port:3000" in checks and "port:8000" in checks


def test_port_probe_sees_a_socket_bound_in_this_process(free_port: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))
        sock.listen()
        result = check_port("frontend", free_port)
        assert result.fact("pid") == str(os.getpid())
    time.sleep(0)
