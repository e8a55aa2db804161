"""Every command turns a malformed kubeconfig into exit 2 naming the file: one line, no traceback,
and with `--json` one JSON document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.exitcodes import USAGE

pytestmark = pytest.mark.slow  # 75 CLI runs

MALFORMED: dict[str, bytes] = {
    "bad YAML": b"apiVersion: v1\ncontexts: [\n",
    "not UTF-8": b"\xff\xfe\x00apiVersion: v1\n",
    "contexts: 5": b"apiVersion: v1\ncontexts: 5\n",
    "a list": b"- apiVersion\n- v1\n",
    "missing cluster": (
        b"apiVersion: v1\ncontexts:\n- name: kind-jetscale\n  context: {cluster: gone, user: kind-jetscale}\n"
        b"users:\n- name: kind-jetscale\n  user: {}\n"
    ),
    "missing user": (
        b"apiVersion: v1\ncontexts:\n- name: kind-jetscale\n  context: {cluster: kind-jetscale, user: gone}\n"
        b"clusters:\n- name: kind-jetscale\n  cluster: {server: 'https://127.0.0.1:6443'}\n"
    ),
}
COMMANDS = (
    ("status",),
    ("doctor",),
    ("check",),
    ("report",),
    ("forward",),
    ("down",),
    ("up", "--headless"),
)


def kubeconfig_file(tmp_path: Path, variant: str) -> Path:
    if variant == "a folder":
        folder = tmp_path / "kubeconfig.d"
        folder.mkdir()
        return folder
    if variant == "missing file":
        return tmp_path / "no-such-kubeconfig"
    path = tmp_path / "kubeconfig"
    path.write_bytes(MALFORMED[variant])
    return path


def devstack(kubeconfig: Path, stack: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    env.pop("DEVSTACK_SIM_TOOLS", None)  # the real tools: nothing may run before the kubeconfig is read
    return subprocess.run(
        [sys.executable, "-m", "devstack", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=stack,
        timeout=120,
    )


@pytest.mark.parametrize("variant", [*MALFORMED, "a folder"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_malformed_kubeconfig_is_exit_2_naming_the_file(
    stack_copy: Path, tmp_path: Path, variant: str, command: tuple[str, ...]
) -> None:
    path = kubeconfig_file(tmp_path, variant)
    out = devstack(path, stack_copy, *command)
    assert out.returncode == USAGE, (out.stdout, out.stderr)
    assert str(path) in out.stderr
    assert "Traceback" not in out.stderr and "internal error" not in out.stderr
    if command[0] != "up":
        lines = [line for line in out.stderr.splitlines() if line.strip()]
        assert lines[0].startswith("devstack: ") and all(line.startswith("  fix:") for line in lines[1:])


@pytest.mark.parametrize("variant", ["bad YAML", "missing user", "a folder"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_with_json_a_malformed_kubeconfig_is_one_json_document(
    stack_copy: Path, tmp_path: Path, variant: str, command: tuple[str, ...]
) -> None:
    path = kubeconfig_file(tmp_path, variant)
    out = devstack(path, stack_copy, *command, "--json")
    assert out.returncode == USAGE, (out.stdout, out.stderr)
    document = json.loads(out.stdout)  # exactly one document: a second would not parse
    assert document["ok"] is False
    if isinstance(document.get("error"), dict):  # the CLI's error document
        assert document["error"]["exit_code"] == USAGE and str(path) in document["error"]["message"]
    elif "error" in document:  # `report --json` prints its own: {"ok", "error", "problems", "exit_code"}
        assert document["exit_code"] == USAGE and str(path) in document["error"]
    else:  # `up --json` reports the failed step in its own document
        assert command[0] == "up" and str(path) in out.stdout


@pytest.mark.parametrize("command", [("status",), ("forward",)], ids=" ".join)
def test_a_kubeconfig_file_that_does_not_exist_is_named(
    stack_copy: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    """kubectl skips missing files; with no other file holding the context, devstack names it.
    (`doctor` reports it as a check, `report` as an unreachable cluster, `check` as checks that
    fail or a foreign port holder, `down` first needs skaffold; `up` creates the cluster.)"""
    path = kubeconfig_file(tmp_path, "missing file")
    out = devstack(path, stack_copy, *command)
    assert out.returncode == USAGE, (out.stdout, out.stderr)
    assert f"{path} [missing]" in out.stderr and "devstack up" in out.stderr
