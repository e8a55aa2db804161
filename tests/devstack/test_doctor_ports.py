"""Busy forward ports are found up front: `devstack doctor` fails (exit 3) naming the holder, its
command line (secrets redacted) and the fix, unless the holder is this profile's own forward;
`devstack check` names a foreign holder instead of probing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import free_port
from portholders import devstack_forward, end, listener

from devstack_sim import standin_bin

SECRET_ARGS = ("--api-token=s3cr3t-token-value", "--password", "hunter2-pass")


@pytest.fixture
def stack(stack_copy: Path) -> tuple[Path, int, int]:
    """The stack with local-kind's forwards moved to free ports: (root, frontend, backend)."""
    frontend, backend = free_port(), free_port()
    path = stack_copy / "profiles" / "local-kind.yaml"
    profile = yaml.safe_load(path.read_text())
    profile["forwards"][0]["local_port"] = frontend
    profile["forwards"][1]["local_port"] = backend
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return stack_copy, frontend, backend


def devstack(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`devstack ARGS` in the stack, with the simulator's stand-ins allowed (so tools pass)."""
    env = {
        **os.environ,
        "DEVSTACK_SIM_TOOLS": "1",
        "PATH": f"{standin_bin()}{os.pathsep}{os.environ['PATH']}",
    }
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=120,
    )


def with_foreign_holder(
    root: Path, port: int, command: str
) -> tuple[subprocess.Popen[str], subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """`devstack COMMAND` and `devstack COMMAND --json` while a process with secrets in its command
    line holds `port`."""
    holder = listener(port, *SECRET_ARGS)
    try:
        return holder, devstack(root, command), devstack(root, command, "--json")
    finally:
        end(holder)


def port_check(out: subprocess.CompletedProcess[str], port: int) -> dict:
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    return checks[f"port:{port}"]


def write_kubeconfig(home: Path) -> str:
    """A kubeconfig with kind-jetscale (its server is never contacted by these tests)."""
    path = home / ".kube" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kind-jetscale", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "kind-jetscale", "user": {"token": "unused"}}],
        "contexts": [
            {"name": "kind-jetscale", "context": {"cluster": "kind-jetscale", "user": "kind-jetscale"}}
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_doctor_fails_with_exit_3_naming_a_foreign_holder_with_its_secrets_redacted(stack) -> None:
    root, _frontend, backend = stack
    assert devstack(root, "doctor").returncode == 0, "the machine passes with the ports free"
    holder, text, document = with_foreign_holder(root, backend, "doctor")
    assert text.returncode == 3, text.stdout + text.stderr
    assert document.returncode == 3
    check = port_check(document, backend)
    assert check["status"] == "fail" and check["data"]["pid"] == str(holder.pid)
    assert f"pid {holder.pid}" in check["detail"] and "another process" in check["detail"]
    assert f"kill {holder.pid}" in check["fix"] and "forwards[].local_port of backend" in check["fix"]
    assert "--api-token=<redacted>" in check["data"]["cmdline"]
    assert "--password <redacted>" in check["data"]["cmdline"]
    for secret in ("s3cr3t-token-value", "hunter2-pass"):
        assert secret not in text.stdout + text.stderr + document.stdout


def test_a_port_held_by_this_profiles_own_forward_passes_and_another_profiles_fails(
    stack, isolated_home: Path
) -> None:
    root, frontend, _backend = stack
    kubeconfig = write_kubeconfig(isolated_home)
    state = isolated_home / ".local" / "state" / "devstack"
    own = devstack_forward(frontend, "frontend", "kind-jetscale", kubeconfig, state, "local-kind")
    try:
        out = devstack(root, "doctor", "--json")
    finally:
        end(own)
    assert out.returncode == 0, out.stdout + out.stderr
    check = port_check(out, frontend)
    assert check["status"] == "ok"
    assert "devstack's forward frontend of profile local-kind" in check["detail"]
    other = devstack_forward(frontend, "frontend", "kind-jetscale", kubeconfig, state, "ci-kind")
    try:
        out = devstack(root, "doctor", "--json")
    finally:
        end(other)
    assert out.returncode == 3
    check = port_check(out, frontend)
    assert check["status"] == "fail" and "profile ci-kind" in check["detail"]
    assert "--take-over" in check["fix"]


def test_check_names_a_foreign_holder_instead_of_probing_it(stack) -> None:
    root, frontend, _backend = stack
    holder, text, document = with_foreign_holder(root, frontend, "check")
    assert text.returncode == 1 and document.returncode == 1
    assert f"port {frontend} (frontend) is held by pid {holder.pid}" in text.stdout
    assert "no check was sent to it" in text.stdout and f"kill {holder.pid}" in text.stdout
    assert "reset" not in text.stdout.lower() and "VITE_API_BASE_URL" not in text.stdout
    result = json.loads(document.stdout)
    assert result["ok"] is False and result["checks"] == []
    [held] = result["busy_ports"]
    assert held["pid"] == str(holder.pid) and held["forward"] == "frontend"
    for secret in ("s3cr3t-token-value", "hunter2-pass"):
        assert secret not in text.stdout + document.stdout


def test_for_up_even_this_profiles_own_forward_is_in_the_way_unless_take_over(
    isolated_home: Path,
) -> None:
    from devstack.core.model import CheckStatus
    from devstack.sources.doctor import check_port
    from devstack.sources.portowner import PortClaims

    port, state = free_port(), isolated_home / "state"
    claims = PortClaims(state, "local-kind", "kind-jetscale")
    own = devstack_forward(
        port, "frontend", "kind-jetscale", write_kubeconfig(isolated_home), state, "local-kind"
    )
    try:
        alone = check_port("frontend", port, claims)
        for_up = check_port("frontend", port, claims, binding=True)
        taking_over = check_port("frontend", port, claims, binding=True, take_over=True)
    finally:
        end(own)
    assert alone.status is CheckStatus.OK
    assert for_up.status is CheckStatus.FAIL and for_up.required and "--take-over" in for_up.fix
    assert taking_over.status is CheckStatus.WARN and not taking_over.required
    assert f"pid {own.pid}" in taking_over.detail
