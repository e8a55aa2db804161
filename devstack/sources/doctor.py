"""Machine checks: Docker daemon, tools on PATH, local ports, kube context, credentials, inotify limits.

Tool versions live in `tool_checks.py` (Skaffold against the skaffold.yaml in use, kubectl against
the API server), the credential in `credential_checks.py`, the Docker endpoint in
`docker_endpoint.py`.

Each check is a blocking function returning a `DoctorCheck`; `run_doctor` runs them in worker
threads and dispatches one `DoctorChecked` event per result.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from devstack.core.events import DoctorChecked, Event
from devstack.core.model import CheckStatus, DoctorCheck
from devstack.errors import DevstackError
from devstack.profile.models import Profile
from devstack.settings import Settings
from devstack.sources.credential_checks import check_credentials
from devstack.sources.credentials import KubeTarget
from devstack.sources.docker_endpoint import DockerContextError, docker_client, resolve_endpoint
from devstack.sources.kindcontext import kind_server_problem, kind_verifier
from devstack.sources.kubeapi import KubeApi
from devstack.sources.kubeconfig import ContextNotFound, context_names, find_context, shown
from devstack.sources.portowner import PortClaims, port_owner
from devstack.sources.tool_checks import (
    TOOLS,
    ToolSpec,
    check_kubectl_skew,
    check_tool,
    first_line,
    skaffold_api_version,
    tool_version,
)
from devstack.sources.tools import ToolEnv

__all__ = ["TOOLS", "DoctorPlan", "ToolSpec", "check_docker", "check_tool", "doctor_plan", "run_doctor"]

KIND_MIN_CPUS = 2
KIND_MIN_MEMORY = 4 * 1024**3
INOTIFY_WATCHES = 524288
INOTIFY_INSTANCES = 512


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
    kind_cluster: str = ""
    """The kind cluster whose context must be its node's published API address ("" for none)."""
    skaffold_config: str | None = None
    """The apiVersion of the skaffold.yaml in use (Skaffold must be new enough to read it)."""
    claims: PortClaims | None = None
    take_over: bool = False
    binding: bool = False
    ports_required: bool = True


def check_docker(settings: Settings, required: bool = True) -> DoctorCheck:
    """Ping the Docker daemon where the docker CLI finds it; report version, CPUs, memory and
    which endpoint was used and why (`sources/docker_endpoint.py`)."""
    result = _check_docker(settings)
    if required or result.status is not CheckStatus.FAIL:
        return result
    return replace(
        result, status=CheckStatus.WARN, required=False, detail=result.detail + " (not needed here)"
    )


def _check_docker(settings: Settings) -> DoctorCheck:
    from docker.errors import DockerException

    try:
        endpoint = resolve_endpoint(settings)
    except DockerContextError as err:
        return DoctorCheck(
            "docker",
            CheckStatus.FAIL,
            str(err),
            fix="`docker context ls` lists the contexts; `docker context use NAME` picks one "
            "(or unset DOCKER_CONTEXT)",
            required=True,
        )
    where = (("endpoint", endpoint.host), ("endpoint_source", endpoint.source))
    client = None
    try:
        client = docker_client(endpoint, timeout=5)
        client.ping()
        version = client.version()
        info = client.info()
    except DockerException as err:
        return DoctorCheck(
            "docker",
            CheckStatus.FAIL,
            f"Docker daemon not reachable at {endpoint.host} (from {endpoint.source}): {first_line(err)}",
            fix="start Docker (`sudo systemctl start docker`, Docker Desktop, `colima start`...), "
            "or point DOCKER_HOST / `docker context use` at the running daemon",
            required=True,
            data=where,
        )
    finally:
        if client is not None:
            client.close()
    cpus = int(info.get("NCPU") or 0)
    memory = int(info.get("MemTotal") or 0)
    data = (
        ("cpus", str(cpus)),
        ("memory_bytes", str(memory)),
        ("version", str(version.get("Version"))),
        *where,
    )
    detail = (
        f"Docker {version.get('Version')} ({cpus} CPUs, {memory / 1024**3:.1f} GiB) "
        f"at {endpoint.host} (from {endpoint.source})"
    )
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


def check_port(
    label: str,
    port: int,
    claims: PortClaims | None = None,
    *,
    take_over: bool = False,
    binding: bool = False,
    required: bool = True,
) -> DoctorCheck:
    """Is 127.0.0.1:`port` free for devstack's forward `label`? If not, whose it is.

    Args:
        label: The forward's name.
        port: Its local port.
        claims: This profile's forward markers (proves a holder is devstack's own forward).
        take_over: `--take-over` was given: a provable forward of this stack will be stopped.
        binding: The caller (`up`) is about to bind the port, so even this profile's own
            forward in another process is in the way.
        required: A port held by anything else is a missing prerequisite (exit 3).
    """
    name = f"port:{port}"
    held = port_owner(port, label, claims)
    if held is None:
        return DoctorCheck(name, CheckStatus.OK, f"{port} free ({label})", data=(("port", str(port)),))
    data = tuple(held.facts().items())
    detail = held.message()
    if held.owner.same_profile and not binding:
        return DoctorCheck(name, CheckStatus.OK, detail, data=data)
    if held.owner.ours and take_over:
        return DoctorCheck(name, CheckStatus.WARN, f"{detail}; --take-over stops it", data=data)
    return DoctorCheck(name, CheckStatus.FAIL, detail, fix=held.fix(), required=required, data=data)


def check_context(
    context: str,
    created_by_devstack: bool,
    tools: ToolEnv,
    kind_cluster: str = "",
    during_up: bool = False,
) -> DoctorCheck:
    """Does the profile's kube context exist in the kubeconfig the tools use (and, for a kind
    cluster, point at the API address its node container publishes)?

    Inside `up` (`during_up`) a context devstack creates is not there yet by design: that run
    makes it, so there is nothing to fix (and no command to paste).

    Raises:
        KubeconfigError: a kubeconfig file is malformed (exit 2, naming the file).
    """
    paths = tools.kubeconfig_paths()
    files = shown(paths)
    data: tuple[tuple[str, str], ...] = (("context", context), ("kubeconfig", files))
    try:
        entries = find_context(paths, context)
    except ContextNotFound:
        if created_by_devstack and during_up:
            detail = f"context {context} not in {files} yet: this run creates the cluster"
            return DoctorCheck("context", CheckStatus.OK, detail, data=data)
        if created_by_devstack:
            return DoctorCheck(
                "context",
                CheckStatus.WARN,
                f"context {context} not in {files} yet: `devstack up` creates the cluster",
                fix="devstack up",
                data=data,
            )
        return DoctorCheck(
            "context",
            CheckStatus.FAIL,
            f"context {context} not found in {files}",
            fix=f"add {context} to your kubeconfig (e.g. with your cloud CLI's get-credentials command)",
            required=True,
            data=data,
        )
    data = (*data, ("server", entries.server))
    if kind_cluster:
        try:
            problem = kind_server_problem(kind_cluster, entries, tools.allow_sim, tools.settings())
        except DevstackError as err:
            return DoctorCheck(
                "context",
                CheckStatus.WARN,
                f"context {context}: cannot check its server: {err.message}",
                data=data,
            )
        if problem is not None:
            return DoctorCheck(
                "context",
                CheckStatus.FAIL,
                f"context {context}: {problem}",
                fix=f"`kind export kubeconfig --name {kind_cluster}` rewrites it, or `devstack up` creates "
                "the cluster; until then devstack refuses the context",
                data=data,
            )
    return DoctorCheck("context", CheckStatus.OK, f"context {context} found in {entries.source}", data=data)


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


def _import_clients() -> None:
    """Import the client libraries the checks use, once, before the checks run in threads.

    Imported for the first time by two checks at once, a package with imports in a cycle
    (requests: `auth` ↔ `utils`, reached from both docker and kubernetes) can be handed
    half-made to one thread: `ImportError: cannot import name 'parse_dict_header'` (seen in CI).
    """
    import docker  # noqa: F401
    from kubernetes.config import kube_config  # noqa: F401


def run_doctor(plan: DoctorPlan, emit: Callable[[Event], object]) -> None:
    """Run every check of `plan` in worker threads; emit a `DoctorChecked` per result."""
    jobs: list[Callable[[], DoctorCheck | None]] = []
    if plan.check_docker:
        jobs.append(partial(check_docker, plan.tools.settings(), plan.docker_required))
    for names, required in ((plan.required_tools, True), (plan.optional_tools, False)):
        for tool in names:
            config = plan.skaffold_config if tool == "skaffold" else None
            jobs.append(partial(check_tool, TOOLS[tool], required, plan.tools, config))
    jobs += [
        partial(
            check_port,
            label,
            port,
            plan.claims,
            take_over=plan.take_over,
            binding=plan.binding,
            required=plan.ports_required,
        )
        for label, port in plan.ports
    ]
    jobs.append(
        partial(
            check_context,
            plan.context,
            plan.context_created_by_devstack,
            plan.tools,
            plan.kind_cluster,
            during_up=plan.binding,
        )
    )
    jobs.append(partial(check_credentials, plan.context, plan.tools))
    if "kubectl" in plan.required_tools:
        jobs.append(partial(check_kubectl_server, plan.context, plan.tools, plan.kind_cluster))
    jobs.append(check_inotify)
    _import_clients()
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="doctor") as pool:
        for result in pool.map(lambda job: job(), jobs):
            if result is not None:
                emit(DoctorChecked(result))


def check_kubectl_server(context: str, tools: ToolEnv, kind_cluster: str = "") -> DoctorCheck | None:
    """kubectl against the version of the context's API server (None when the server cannot be
    asked: the context is not there yet, is refused, or the cluster does not answer — other checks
    say so). The server is asked through the confined context (a kind context checked first)."""
    if context not in context_names(tools.kubeconfig_paths()):
        return None
    try:
        path, _version, client = tool_version(TOOLS["kubectl"], tools)
    except OSError:
        return None
    if path is None:
        return None
    settings = tools.settings()
    confinement = tools.confined_to(
        context, kind_verifier(kind_cluster, tools.allow_sim, settings)
    ).confinement
    assert confinement is not None
    target = KubeTarget(
        context,
        "default",
        confinement.file,
        settings.https_proxy,
        settings.no_proxy,
        origin=confinement.shown_sources,
        prepare=confinement.path,
    )
    api = KubeApi(target)
    try:
        server = api.server_version(timeout=3)
    except Exception:  # noqa: BLE001 - unreachable or refused: the skew cannot be known, nothing to say
        return None
    finally:
        api.close()
    return check_kubectl_skew(client.strip(), server)


def doctor_plan(
    profile: Profile | None,
    tools: ToolEnv,
    skaffold_file: Path | None = None,
    *,
    state_dir: Path | None = None,
    take_over: bool = False,
    binding: bool = False,
) -> DoctorPlan:
    """What to check for a profile (or devstack's defaults when there is no stack).

    With the simulator's tools allowed (`devstack demo`), Docker is not required. `skaffold_file`
    (the stack's skaffold.yaml) sets the Skaffold release the stack needs. A forward port held by
    anything but this profile's own forward (whose marker is in `state_dir`) fails the doctor with
    exit 3; with `binding` (`up`) even that one does, unless `take_over`. Outside a stack a busy
    default port is a failure but not a missing prerequisite.
    """
    skaffold_config = skaffold_api_version(skaffold_file)
    if profile is None:
        return DoctorPlan(
            required_tools=("kind", "kubectl", "skaffold", "helm"),
            optional_tools=("tilt",),
            ports=(("frontend", 3000), ("backend", 8000)),
            context="kind-jetscale",
            context_created_by_devstack=True,
            tools=tools,
            docker_required=not tools.allow_sim,
            kind_cluster="jetscale",
            skaffold_config=skaffold_config,
            ports_required=False,
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
        kind_cluster=profile.kind_cluster,
        skaffold_config=skaffold_config,
        claims=None if state_dir is None else PortClaims(state_dir, profile.name, profile.context),
        take_over=take_over,
        binding=binding,
    )
