"""Machine checks: Docker daemon, tools on PATH, local ports, kube context, inotify limits.

Each check is a blocking function returning a `DoctorCheck`; `run_doctor` runs them in worker
threads and dispatches one `DoctorChecked` event per result.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from devstack.core.events import DoctorChecked, Event
from devstack.core.model import CheckStatus, DoctorCheck
from devstack.core.versions import HELM_MINIMUM, Version, format_version, meets, parse_version
from devstack.profile.models import Profile
from devstack.sources import processes
from devstack.sources.kubeconfig import context_names
from devstack.sources.ports import port_holder, port_is_free
from devstack.sources.tools import ToolEnv

KIND_MIN_CPUS = 2
KIND_MIN_MEMORY = 4 * 1024**3
INOTIFY_WATCHES = 524288
INOTIFY_INSTANCES = 512


@dataclass(frozen=True)
class ToolSpec:
    """How to find, version and install one command-line tool."""

    name: str
    version_args: tuple[str, ...]
    minimum: Version
    install: str
    json_key: str | None = None


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
        (0, 33, 0),
        "install tilt: https://docs.tilt.dev/install.html",
    ),
}


@dataclass(frozen=True)
class DoctorPlan:
    """What to check, derived from the profile."""

    required_tools: tuple[str, ...]
    optional_tools: tuple[str, ...]
    ports: tuple[tuple[str, int], ...]
    context: str
    context_created_by_devstack: bool
    tools: ToolEnv
    check_docker: bool = True
    docker_required: bool = True


def check_docker(required: bool = True) -> DoctorCheck:
    """Ping the Docker daemon through the docker SDK; report version, CPUs and memory."""
    result = _check_docker()
    if required or result.status is not CheckStatus.FAIL:
        return result
    return replace(
        result, status=CheckStatus.WARN, required=False, detail=result.detail + " (not needed here)"
    )


def _check_docker() -> DoctorCheck:
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as err:  # pragma: no cover - docker is a declared dependency
        return DoctorCheck("docker", CheckStatus.FAIL, f"docker SDK unavailable: {err}", required=True)
    client = None
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        version = client.version()
        info = client.info()
    except DockerException as err:
        return DoctorCheck(
            "docker",
            CheckStatus.FAIL,
            f"Docker daemon not reachable: {_first_line(err)}",
            fix="start Docker (`sudo systemctl start docker`, or open Docker Desktop); check DOCKER_HOST",
            required=True,
        )
    finally:
        if client is not None:
            client.close()
    cpus = int(info.get("NCPU") or 0)
    memory = int(info.get("MemTotal") or 0)
    data = (("cpus", str(cpus)), ("memory_bytes", str(memory)), ("version", str(version.get("Version"))))
    detail = f"Docker {version.get('Version')} ({cpus} CPUs, {memory / 1024**3:.1f} GiB)"
    if cpus < KIND_MIN_CPUS or memory < KIND_MIN_MEMORY:
        return DoctorCheck(
            "docker",
            CheckStatus.WARN,
            f"{detail}: kind wants at least {KIND_MIN_CPUS} CPUs and 4 GiB",
            fix="give Docker more CPUs/memory (Docker Desktop: Settings → Resources)",
            required=True,
            data=data,
        )
    return DoctorCheck("docker", CheckStatus.OK, detail, required=True, data=data)


def check_tool(spec: ToolSpec, required: bool, tools: ToolEnv) -> DoctorCheck:
    """Find a tool on the tools' PATH, read its version and compare it with the minimum."""
    name = f"tool:{spec.name}"
    path = tools.which(spec.name)
    missing_status = CheckStatus.FAIL if required else CheckStatus.WARN
    if path is None:
        detail = f"{spec.name} not found on PATH" + ("" if required else " (optional)")
        return DoctorCheck(name, missing_status, detail, fix=spec.install, required=required)
    try:
        result = processes.run([path, *spec.version_args], env=tools.child_env(), timeout=15)
    except OSError as err:
        return DoctorCheck(
            name, missing_status, f"{path} cannot run: {err}", fix=spec.install, required=required
        )
    output = result.stdout + result.stderr
    if spec.json_key:
        output = _json_version(result.stdout, spec.json_key) or output
    version = parse_version(output)
    data: tuple[tuple[str, str], ...] = (("path", path),)
    if version is None:
        return DoctorCheck(
            name,
            CheckStatus.WARN,
            f"{spec.name} at {path}: version not recognised ({_first_line(output) or 'no output'})",
            required=required,
            data=data,
        )
    data = (*data, ("version", format_version(version)))
    if not meets(version, spec.minimum):
        return DoctorCheck(
            name,
            missing_status,
            f"{spec.name} {format_version(version)} is older than {format_version(spec.minimum)}",
            fix=spec.install,
            required=required,
            data=data,
        )
    return DoctorCheck(
        name, CheckStatus.OK, f"{spec.name} {format_version(version)} ({path})", required=required, data=data
    )


def check_port(label: str, port: int) -> DoctorCheck:
    """Is 127.0.0.1:`port` free for devstack's forward? If not, who holds it."""
    name = f"port:{port}"
    if port_is_free(port):
        return DoctorCheck(name, CheckStatus.OK, f"{port} free ({label})", data=(("port", str(port)),))
    holder = port_holder(port)
    data = (
        ("port", str(port)),
        ("pid", str(holder.pid or "")),
        ("process", holder.name),
        ("cmdline", holder.cmdline),
    )
    fix = f"stop it (`kill {holder.pid}`) or change forwards.local_port for {label} in the profile"
    if holder.pid is None:
        fix = (
            f"find it with `sudo ss -ltnp 'sport = :{port}'`, stop it, "
            f"or change forwards.local_port for {label}"
        )
    return DoctorCheck(
        name,
        CheckStatus.FAIL,
        f"{port} ({label}) is held by {holder.describe()}",
        fix=fix,
        required=False,
        data=data,
    )


def check_context(context: str, created_by_devstack: bool, tools: ToolEnv) -> DoctorCheck:
    """Does the profile's kube context exist in the kubeconfig the tools use?"""
    paths = tools.kubeconfig_paths()
    shown = os.pathsep.join(str(p) for p in paths)
    names = context_names(paths)
    data = (("context", context), ("kubeconfig", shown))
    if context in names:
        return DoctorCheck("context", CheckStatus.OK, f"context {context} found in {shown}", data=data)
    if created_by_devstack:
        return DoctorCheck(
            "context",
            CheckStatus.WARN,
            f"context {context} not in {shown} yet: `devstack up` creates the cluster",
            fix="devstack up",
            data=data,
        )
    return DoctorCheck(
        "context",
        CheckStatus.FAIL,
        f"context {context} not found in {shown}",
        fix=f"add {context} to your kubeconfig (e.g. with your cloud CLI's get-credentials command)",
        required=True,
        data=data,
    )


def check_inotify(proc: Path = Path("/proc/sys/fs/inotify")) -> DoctorCheck | None:
    """On Linux, the inotify limits kind documents (None elsewhere)."""
    if not sys.platform.startswith("linux") or not proc.is_dir():
        return None
    try:
        watches = int((proc / "max_user_watches").read_text())
        instances = int((proc / "max_user_instances").read_text())
    except (OSError, ValueError) as err:
        return DoctorCheck("inotify", CheckStatus.WARN, f"cannot read inotify limits: {err}")
    data = (("max_user_watches", str(watches)), ("max_user_instances", str(instances)))
    detail = f"max_user_watches={watches}, max_user_instances={instances}"
    if watches < INOTIFY_WATCHES or instances < INOTIFY_INSTANCES:
        return DoctorCheck(
            "inotify",
            CheckStatus.WARN,
            f"{detail}: kind needs {INOTIFY_WATCHES} / {INOTIFY_INSTANCES} "
            "(else pods fail with 'too many open files')",
            fix=f"sudo sysctl fs.inotify.max_user_watches={INOTIFY_WATCHES} "
            f"fs.inotify.max_user_instances={INOTIFY_INSTANCES}",
            data=data,
        )
    return DoctorCheck("inotify", CheckStatus.OK, detail, data=data)


def run_doctor(plan: DoctorPlan, emit: Callable[[Event], object]) -> None:
    """Run every check of `plan` in worker threads; emit a `DoctorChecked` per result."""
    jobs: list[Callable[[], DoctorCheck | None]] = []
    if plan.check_docker:
        jobs.append(partial(check_docker, plan.docker_required))
    jobs += [partial(check_tool, TOOLS[t], True, plan.tools) for t in plan.required_tools]
    jobs += [partial(check_tool, TOOLS[t], False, plan.tools) for t in plan.optional_tools]
    jobs += [partial(check_port, label, port) for label, port in plan.ports]
    jobs.append(partial(check_context, plan.context, plan.context_created_by_devstack, plan.tools))
    jobs.append(check_inotify)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="doctor") as pool:
        for result in pool.map(lambda job: job(), jobs):
            if result is not None:
                emit(DoctorChecked(result))


def _json_version(stdout: str, key: str) -> str | None:
    try:
        data = json.loads(stdout)
    except ValueError:
        return None
    section = data.get(key) if isinstance(data, dict) else None
    return str(section.get("gitVersion")) if isinstance(section, dict) else None


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0] if text else ""


def doctor_plan(profile: Profile | None, tools: ToolEnv) -> DoctorPlan:
    """What to check for a profile (or devstack's defaults when there is no stack).

    With the simulator's tools allowed (`devstack demo`), Docker is not required.
    """
    if profile is None:
        return DoctorPlan(
            required_tools=("kind", "kubectl", "skaffold", "helm"),
            optional_tools=("tilt",),
            ports=(("frontend", 3000), ("backend", 8000)),
            context="kind-jetscale",
            context_created_by_devstack=True,
            tools=tools,
            docker_required=not tools.allow_sim,
        )
    required = ["kubectl", "helm"]
    if profile.cluster.provider == "kind":
        required.insert(0, "kind")
    required.append(profile.deploy.tool)
    optional = tuple(t for t in ("skaffold", "tilt") if t not in required)
    return DoctorPlan(
        required_tools=tuple(required),
        optional_tools=optional,
        ports=tuple((f.name, f.local_port) for f in profile.forwards),
        context=profile.context,
        context_created_by_devstack=profile.cluster.provider == "kind",
        tools=tools,
        docker_required=not tools.allow_sim,
    )
