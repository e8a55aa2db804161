"""Doctor checks of the command-line tools: found on PATH, new enough for the stack's files.

A tool's minimum is its `ToolSpec.minimum`, raised for Skaffold to the release that first reads
the `apiVersion` of the skaffold.yaml in use (`core/skaffold_versions.py`), and explained in
those terms ("skaffold 2.16.1 cannot read skaffold/v4beta14; needs ≥ 2.19.0"). kubectl is also
compared with the API server: more than one minor version apart is a warning (Kubernetes'
version skew policy supports kubectl within ±1 minor of the server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from devstack.core.model import CheckStatus, DoctorCheck
from devstack.core.skaffold_versions import NEWEST_KNOWN, cannot_read, minimum_for, newer_than_known
from devstack.core.versions import HELM_MINIMUM, Version, format_version, meets, parse_version
from devstack.sources import processes
from devstack.sources.tools import ToolEnv, is_standin

SKEW_POLICY = "https://kubernetes.io/releases/version-skew-policy/#kubectl"


@dataclass(frozen=True)
class ToolSpec:
    """How to find, version and install one command-line tool."""

    name: str
    version_args: tuple[str, ...]
    minimum: Version
    install: str
    json_key: str | None = None
    why: str = ""
    """Why the stack needs at least `minimum` (said when the tool is older)."""


TOOLS: dict[str, ToolSpec] = {
    "kind": ToolSpec(
        "kind",
        ("version",),
        (0, 20, 0),
        "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation "
        "(e.g. `go install sigs.k8s.io/kind@v0.32.0`)",
    ),
    "kubectl": ToolSpec(
        "kubectl",
        ("version", "--client", "-o", "json"),
        (1, 27, 0),
        "install kubectl: https://kubernetes.io/docs/tasks/tools/",
        json_key="clientVersion",
    ),
    "skaffold": ToolSpec(
        "skaffold",
        ("version",),
        (2, 0, 0),
        "install skaffold: https://skaffold.dev/docs/install/",
    ),
    "helm": ToolSpec(
        "helm",
        ("version", "--short"),
        HELM_MINIMUM,
        "install helm: https://helm.sh/docs/intro/install/",
    ),
    "tilt": ToolSpec(
        "tilt",
        ("version",),
        (0, 36, 0),
        "install tilt 0.36.0 or newer: https://docs.tilt.dev/install.html "
        "(`curl -fsSL https://raw.githubusercontent.com/tilt-dev/tilt/master/scripts/install.sh | bash`)",
        why="the Tiltfile's helm() needs Helm v4, which Tilt supports from v0.36.0",
    ),
}


def skaffold_api_version(path: Path | None) -> str | None:
    """The `apiVersion` of a skaffold.yaml (its first document), None when unreadable."""
    if path is None:
        return None
    try:
        first = next(iter(yaml.safe_load_all(path.read_text(encoding="utf-8"))), None)
    except (OSError, yaml.YAMLError):
        return None
    value = first.get("apiVersion") if isinstance(first, dict) else None
    return str(value) if value else None


def tool_version(spec: ToolSpec, tools: ToolEnv) -> tuple[str | None, Version | None, str]:
    """(path, parsed version, raw output) of a tool; path None when it is not on PATH.

    Raises:
        OSError: the program exists but cannot run.
    """
    path = tools.which(spec.name)
    if path is None:
        return None, None, ""
    # No cluster: a version-dispatching kubectl would otherwise contact the current context.
    result = processes.run([path, *spec.version_args], env=tools.no_cluster_env(), timeout=15)
    output = result.stdout + result.stderr
    if spec.json_key:
        output = json_version(result.stdout, spec.json_key) or output
    return path, parse_version(output), output


def check_tool(
    spec: ToolSpec, required: bool, tools: ToolEnv, skaffold_config: str | None = None
) -> DoctorCheck:
    """Find a tool on the tools' PATH, read its version and compare it with what the stack needs.

    Args:
        spec: The tool.
        required: A missing or too old tool is a failure (else a warning).
        tools: Where tools are found.
        skaffold_config: For Skaffold, the `apiVersion` of the skaffold.yaml in use.
    """
    name = f"tool:{spec.name}"
    missing_status = CheckStatus.FAIL if required else CheckStatus.WARN
    try:
        path, version, output = tool_version(spec, tools)
    except OSError as err:
        return DoctorCheck(
            name, missing_status, f"{spec.name} cannot run: {err}", fix=spec.install, required=required
        )
    if path is None:
        detail = f"{spec.name} not found on PATH" + ("" if required else " (optional)")
        return DoctorCheck(name, missing_status, detail, fix=spec.install, required=required)
    data: tuple[tuple[str, str], ...] = (("path", path),)
    if is_standin(path):
        data = (*data, ("standin", "devstack simulator"))
    if version is None:
        return DoctorCheck(
            name,
            CheckStatus.WARN,
            f"{spec.name} at {path}: version not recognised ({first_line(output) or 'no output'})",
            required=required,
            data=data,
        )
    data = (*data, ("version", format_version(version)))
    if skaffold_config:
        data = (*data, ("config", skaffold_config))
        needed = minimum_for(skaffold_config)
        if needed is not None:
            data = (*data, ("needs", format_version(needed)))
        reason = cannot_read(version, skaffold_config)
        if reason is not None and needed is not None:
            fix = f"install skaffold {format_version(needed)} or newer: https://skaffold.dev/docs/install/"
            return DoctorCheck(name, missing_status, reason, fix=fix, required=required, data=data)
    if not meets(version, spec.minimum):
        return DoctorCheck(
            name,
            missing_status,
            f"{spec.name} {format_version(version)} is older than {format_version(spec.minimum)}"
            + (f" ({spec.why})" if spec.why else ""),
            fix=spec.install,
            required=required,
            data=data,
        )
    if skaffold_config and newer_than_known(skaffold_config):
        return DoctorCheck(
            name,
            CheckStatus.WARN,
            f"skaffold {format_version(version)}: skaffold.yaml says {skaffold_config}, newer than the "
            f"{NEWEST_KNOWN} devstack knows; check that this Skaffold reads it",
            fix="`skaffold diagnose` shows whether it can; https://skaffold.dev/docs/install/",
            required=required,
            data=data,
        )
    reads = f", reads {skaffold_config}" if skaffold_config else ""
    standin = "devstack simulator stand-in, " if is_standin(path) else ""
    return DoctorCheck(
        name,
        CheckStatus.OK,
        f"{spec.name} {format_version(version)} ({standin}{path}{reads})",
        required=required,
        data=data,
    )


def check_kubectl_skew(client: str, server: str) -> DoctorCheck:
    """kubectl against the API server's version (`gitVersion` strings).

    The Google Cloud SDK's `kubectl` dispatcher (`v1.32.4-dispatcher`) runs a kubectl matching the
    server, so it never skews.
    """
    name = "kubectl-skew"
    data = (("client", client), ("server", server))
    found, serving = parse_version(client), parse_version(server)
    if found is None or serving is None:
        return DoctorCheck(
            name, CheckStatus.WARN, f"cannot compare kubectl {client} with server {server}", data=data
        )
    if "dispatcher" in client:
        detail = f"kubectl {client} dispatches to a kubectl matching the server {server}"
        return DoctorCheck(name, CheckStatus.OK, detail, data=data)
    apart = abs(found[1] - serving[1]) if found[0] == serving[0] else 99
    if apart <= 1:
        return DoctorCheck(name, CheckStatus.OK, f"kubectl {client} fits the API server {server}", data=data)
    low, high = serving[1] - 1, serving[1] + 1
    return DoctorCheck(
        name,
        CheckStatus.WARN,
        f"kubectl {client} and the API server {server} are {apart} minor versions apart; "
        f"kubectl is supported within one minor version of the server ({SKEW_POLICY})",
        fix=f"install kubectl 1.{low}, 1.{serving[1]} or 1.{high}: https://kubernetes.io/docs/tasks/tools/",
        data=data,
    )


def json_version(stdout: str, key: str) -> str | None:
    """`gitVersion` of `key` in a tool's JSON version output."""
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    section = data.get(key) if isinstance(data, dict) else None
    return str(section.get("gitVersion")) if isinstance(section, dict) else None


def first_line(value: object) -> str:
    """The first line of a message ("" for none)."""
    text = str(value).strip()
    return text.splitlines()[0] if text else ""
