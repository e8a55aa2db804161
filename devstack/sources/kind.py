"""The kind CLI: list, create (streaming its step lines), delete, export kubeconfig.

kind needs no cluster context: it runs with `ToolEnv.no_cluster_env()`. create, delete and export
write the `kind-NAME` entries of the user's own kubeconfig, given with `--kubeconfig` (the file
holding the context, else the first of KUBECONFIG): never devstack's private single-context copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from devstack.errors import DevstackError
from devstack.sources import processes
from devstack.sources.confine import is_private
from devstack.sources.tools import ToolEnv


def clusters(tools: ToolEnv) -> list[str]:
    """Names from `kind get clusters` (stdout; "No kind clusters found." goes to stderr)."""
    kind = tools.require("kind")
    result = processes.run([kind, "get", "clusters"], env=tools.no_cluster_env(), timeout=60)
    if result.returncode != 0:
        raise DevstackError(f"`kind get clusters` failed: {_last_error(result.stderr)}")
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def create(
    tools: ToolEnv,
    name: str,
    config: Path | None,
    kubeconfig: str | None,
    on_line: Callable[[str], None],
    wait: str = "120s",
    timeout: float = 600,
    cancel: threading.Event | None = None,
) -> None:
    """`kind create cluster`; kind's progress lines (stderr) go to `on_line`."""
    kind = tools.require("kind")
    args = [kind, "create", "cluster", "--name", name, "--wait", wait]
    if config is not None:
        args += ["--config", str(config)]
    args += ["--kubeconfig", _user_file(tools, name, kubeconfig)]
    lines: list[str] = []

    def keep(line: str) -> None:
        lines.append(line)
        on_line(line)

    code = processes.stream(args, keep, env=tools.no_cluster_env(), timeout=timeout, cancel=cancel)
    if code != 0:
        raise DevstackError(
            f"kind create cluster {name} failed (exit {code}): {_last_error(chr(10).join(lines))}",
            fix=f"see the lines above; `kind delete cluster --name {name}` removes a half-created cluster",
        )


def delete(tools: ToolEnv, name: str, kubeconfig: str | None) -> str:
    """`kind delete cluster` (idempotent); returns kind's output."""
    return _run(tools, ["delete", "cluster"], name, kubeconfig, timeout=300)


def export_kubeconfig(tools: ToolEnv, name: str, kubeconfig: str | None) -> None:
    """`kind export kubeconfig`: put the cluster's context back into the kubeconfig."""
    _run(tools, ["export", "kubeconfig"], name, kubeconfig, timeout=60)


def _run(tools: ToolEnv, command: list[str], name: str, kubeconfig: str | None, timeout: float) -> str:
    """`kind COMMAND --name NAME [--kubeconfig K]`; kind's stderr, or a DevstackError naming the cause."""
    args = [
        tools.require("kind"),
        *command,
        "--name",
        name,
        "--kubeconfig",
        _user_file(tools, name, kubeconfig),
    ]
    result = processes.run(args, env=tools.no_cluster_env(), timeout=timeout)
    if result.returncode != 0:
        raise DevstackError(f"kind {' '.join(command)} --name {name} failed: {_last_error(result.stderr)}")
    return result.stderr.strip()


def _user_file(tools: ToolEnv, name: str, kubeconfig: str | None) -> str:
    """The user's kubeconfig kind writes: `kubeconfig`, unless it is devstack's private copy."""
    if kubeconfig and not is_private(kubeconfig):
        return kubeconfig
    return tools.user_kubeconfig_for(f"kind-{name}")


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or ["no output"])[-1]
