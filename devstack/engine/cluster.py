"""The cluster step: create the kind cluster, or reuse it (starting stopped nodes); never delete
it unless `--recreate` was given and it differs from the profile in what kind cannot change.

kind writes the user's kubeconfig (`ctx.user_kubeconfig`); before the API is first called the
context is confined and checked (`ctx.confine()`: a kind context must be the address its node
container publishes), so a forged or stale `kind-<name>` context is refused (exit 2) here.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from devstack.core.toolout import kind_progress
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources import kind, nodes
from devstack.sources.kube import describe_error
from devstack.sources.kubeapi import KubeApi
from devstack.sources.kubeconfig import context_names, shown

Mapping = tuple[int, int, str]


def desired_topology(config: dict[str, Any] | None) -> tuple[Counter[str], list[Mapping]]:
    """Node roles and extraPortMappings a kind config asks for (kind's defaults filled in)."""
    node_list = (config or {}).get("nodes") or [{"role": "control-plane"}]
    roles: Counter[str] = Counter(str(n.get("role") or "control-plane") for n in node_list)
    mappings = [
        (int(m["containerPort"]), int(m.get("hostPort") or 0), str(m.get("listenAddress") or "0.0.0.0"))
        for n in node_list
        for m in n.get("extraPortMappings") or []
    ]
    return roles, sorted(mappings)


def drift(config: dict[str, Any] | None, found: list[nodes.Node]) -> list[str]:
    """What differs between the running cluster and the kind config, in what kind can't change."""
    want_roles, want_maps = desired_topology(config)
    have_roles: Counter[str] = Counter(n.role for n in found if n.role != "external-load-balancer")
    problems = []
    if want_roles != have_roles:
        problems.append(f"nodes: config wants {_roles(want_roles)}, cluster has {_roles(have_roles)}")
    have_maps = sorted(m for n in found for m in n.port_mappings)
    if not _same_mappings(want_maps, have_maps):
        problems.append(f"extraPortMappings: config wants {_maps(want_maps)}, cluster has {_maps(have_maps)}")
    return problems


def _same_mappings(want: list[Mapping], have: list[Mapping]) -> bool:
    """Equal port mappings, where a wanted hostPort of 0 (random) matches any host port."""
    if len(want) != len(have):
        return False

    def key(mapping: Mapping) -> tuple[int, str]:
        return mapping[0], mapping[2]

    return all(
        w[0] == h[0] and w[2] == h[2] and (not w[1] or w[1] == h[1])
        for w, h in zip(sorted(want, key=key), sorted(have, key=key), strict=True)
    )


def _roles(roles: Counter[str]) -> str:
    return ", ".join(f"{count} {role}" for role, count in sorted(roles.items())) or "no nodes"


def _maps(maps: list[Mapping]) -> str:
    return "[" + ", ".join(f"{a}:{h or '*'}→{c}" for c, h, a in maps) + "]"


def _read_config(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else None


def run_cluster(ctx: EngineContext, progress: Progress) -> str:
    """Make sure the profile's cluster exists, runs and answers."""
    profile = ctx.profile
    timeout = ctx.timeout("cluster")
    if profile.cluster.provider == "existing":
        return _use_existing(ctx, progress, timeout)
    name = profile.cluster.name
    config_path = ctx.loaded.resolve(profile.cluster.kind_config) if profile.cluster.kind_config else None
    progress("looking for kind clusters")
    if name not in kind.clusters(ctx.tools):
        _create(ctx, name, config_path, progress, timeout)
        return f"created kind cluster {name} ({_wait_api(ctx, progress, timeout)})"
    found = _nodes(ctx, name)
    differences = drift(_read_config(config_path), found) if found is not None else []
    if differences:
        if not ctx.recreate:
            raise StepError(
                f"kind cluster {name} differs from {config_path}: " + "; ".join(differences),
                fix="kind cannot change this in place: `devstack up --recreate` deletes and recreates the "
                "cluster (its workloads are lost), or edit the kind config back",
                exit_code=USAGE,
            )
        progress(f"recreating kind cluster {name}: " + "; ".join(differences))
        kind.delete(ctx.tools, name, ctx.user_kubeconfig)
        _create(ctx, name, config_path, progress, timeout)
        return f"recreated kind cluster {name} ({_wait_api(ctx, progress, timeout)})"
    stopped = [n.name for n in found or [] if not n.running]
    if stopped:
        progress(f"starting stopped node container(s): {', '.join(stopped)}")
        nodes.start_nodes(stopped, ctx.tools.settings())
    if ctx.context not in context_names(ctx.tools.kubeconfig_paths()):
        progress(f"context {ctx.context} missing from the kubeconfig: kind export kubeconfig")
        kind.export_kubeconfig(ctx.tools, name, ctx.user_kubeconfig)
    version = _wait_api(ctx, progress, timeout)
    started = f", started {len(stopped)} stopped node(s)" if stopped else ""
    return f"reused kind cluster {name} ({version}{started})"


def _nodes(ctx: EngineContext, name: str) -> list[nodes.Node] | None:
    """The cluster's node containers; None for a simulated cluster on a machine without Docker."""
    try:
        return nodes.list_nodes(name, ctx.tools.settings())
    except DevstackError:
        if ctx.tools.allow_sim:
            return None
        raise


def _create(ctx: EngineContext, name: str, config: Path | None, progress: Progress, timeout: float) -> None:
    progress(f"creating kind cluster {name}")

    def on_line(line: str) -> None:
        step = kind_progress(line)
        if step:
            progress(step)

    kind.create(ctx.tools, name, config, ctx.user_kubeconfig, on_line, timeout=timeout, cancel=ctx.cancel)


def _wait_api(ctx: EngineContext, progress: Progress, timeout: float) -> str:
    ctx.confine()  # refuses (exit 2) a context that is not the cluster's own, before any call
    progress(f"waiting for the API server of {ctx.context}")
    api = KubeApi(ctx.target)
    try:
        return f"Kubernetes {api.wait_reachable(timeout)}"
    except Exception as err:  # noqa: BLE001 - whatever the transport says, the API is not answering
        raise StepError(
            f"the API server of {ctx.context} does not answer: {describe_error(err)}",
            fix=f"`kubectl --context {ctx.context} cluster-info` shows more; `docker ps` lists the nodes",
        ) from None
    finally:
        api.close()


def _use_existing(ctx: EngineContext, progress: Progress, timeout: float) -> str:
    paths = ctx.tools.kubeconfig_paths()
    if ctx.context not in context_names(paths):
        raise StepError(
            f"context {ctx.context} is not in the kubeconfig ({shown(paths)})",
            fix="add it (e.g. with your cloud CLI's get-credentials command)",
            exit_code=USAGE,
        )
    return f"using existing cluster {ctx.context} ({_wait_api(ctx, progress, timeout)})"
