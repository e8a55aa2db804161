"""Which logs `devstack logs NAME` and the terminal app's workload logs mean: a Deployment's pods (by
its selector) or one pod, checked against the cluster first so a wrong name is one clear line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devstack.core.kinds import find_kind
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources.execws import default_container
from devstack.sources.workload_logs import LogSelection

if TYPE_CHECKING:
    from devstack.sources.kubeapi import KubeApi


@dataclass(frozen=True)
class LogsTarget:
    """The selection and how to show it: `prefix` when lines of several containers interleave."""

    what: str
    selection: LogSelection
    prefix: bool


def deployment_logs(
    name: str, match_labels: dict[str, str], container: str | None, previous: bool, tail: int
) -> LogsTarget:
    """Every pod of a Deployment (its `matchLabels`)."""
    selector = ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))
    selection = LogSelection({"label_selector": selector}, container, previous, tail)
    return LogsTarget(f"deployment/{name}", selection, prefix=True)


def logs_target(api: KubeApi, name: str, container: str | None, previous: bool, tail: int) -> LogsTarget:
    """`deployment/NAME`, `pod/NAME`, or a bare NAME (a Deployment first, else a pod).

    Raises:
        DevstackError: nothing by that name, a Deployment without a selector, or an unknown
            container (exit 2).
    """
    kind, sep, bare = name.partition("/")
    spec = find_kind(kind) if sep else None
    if sep and (spec is None or spec.plural not in ("deployments", "pods")):
        raise DevstackError(
            f"logs of {name!r}: give a deployment/NAME, a pod/NAME or a NAME", exit_code=USAGE
        )
    wanted = spec.plural if spec else None
    name = bare if sep else name
    if wanted in (None, "deployments"):
        deployment = api.read_raw("deployments", name)
        if deployment is not None:
            labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            if not labels:
                raise DevstackError(
                    f"deployment {name} has no matchLabels selector: its pods cannot be found",
                    exit_code=USAGE,
                )
            return deployment_logs(name, dict(labels), container, previous, tail)
    pod = api.read_raw("pods", name) if wanted in (None, "pods") else None
    if pod is None:
        what = {"deployments": "deployment", "pods": "pod"}.get(wanted or "", "deployment or pod")
        target = api.target
        raise DevstackError(
            f'no {what} named "{name}" in namespace {target.namespace} (context {target.context})',
            fix="devstack status lists the workloads and pods",
            exit_code=USAGE,
        )
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if container is not None:
        try:
            default_container(pod, container)
        except ValueError as err:
            raise DevstackError(str(err), exit_code=USAGE) from None
    selection = LogSelection({"field_selector": f"metadata.name={name}"}, container, previous, tail)
    return LogsTarget(f"pod/{name}", selection, prefix=container is None and len(containers) > 1)
