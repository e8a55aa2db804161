"""Which states will not recover by waiting — the one table `up` fails fast on — and what a
workload that is not ready is still waiting for.

`up` stops waiting for its deadline as soon as every failing workload is in a final state: an
image that cannot be pulled, a container that cannot start (bad command, missing config), a crash
loop past `CRASH_LOOP_RESTARTS` restarts, a rollout past its progress deadline, a pod no node can
run. Everything else is transient and never fails the run early: a container being created, a
readiness probe failing while the program starts, a first crash (the kubelet restarts it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from devstack.core.kube import DeploymentInfo, PodInfo, selects

CRASH_LOOP_RESTARTS = 2


@dataclass(frozen=True)
class Final:
    """A verdict reason that will not heal by waiting (after `min_restarts` restarts)."""

    why: str
    min_restarts: int = 0


FINAL_STATES: Mapping[str, Final] = {
    "ErrImagePull": Final("the image cannot be pulled"),
    "ImagePullBackOff": Final("the image cannot be pulled"),
    "InvalidImageName": Final("the image name is not valid"),
    "ErrImageNeverPull": Final("the image is not on the node and imagePullPolicy is Never"),
    "CreateContainerConfigError": Final("the container's configuration refers to something missing"),
    "CreateContainerError": Final("the container cannot be created"),
    "RunContainerError": Final("the container cannot start (bad command or entrypoint)"),
    "CrashLoopBackOff": Final("the container keeps crashing", CRASH_LOOP_RESTARTS),
    "OOMKilled": Final("the container keeps running out of memory", CRASH_LOOP_RESTARTS),
    "ProgressDeadlineExceeded": Final("the rollout passed its progress deadline"),
    "Unschedulable": Final("no node can run the pod"),
}


def is_final(reason: str, restarts: int) -> bool:
    """Whether a verdict with this reason, after this many restarts, will not recover by waiting."""
    final = FINAL_STATES.get(reason)
    return final is not None and restarts >= final.min_restarts


def _pods(pods: Mapping[str, PodInfo], deployment: DeploymentInfo) -> list[PodInfo]:
    return [
        p
        for p in pods.values()
        if p.namespace == deployment.namespace and selects(deployment.selector, p.labels) and not p.deleting
    ]


def restarts_of(pods: Mapping[str, PodInfo], deployment: DeploymentInfo) -> int:
    """The most restarts of any (not terminating) pod of the Deployment."""
    return max((p.restarts for p in _pods(pods, deployment)), default=0)


def all_final(pods: Mapping[str, PodInfo], failing: Iterable[tuple[DeploymentInfo, str]]) -> bool:
    """Every failing (Deployment, verdict reason) is in a final state (and there is one)."""
    found = list(failing)
    return bool(found) and all(is_final(reason, restarts_of(pods, d)) for d, reason in found)


def waiting_for(pods: Mapping[str, PodInfo], deployment: DeploymentInfo, reason: str) -> str:
    """`jetscale-backend: 0/1 ready, CrashLoopBackOff, exit 1` — what a workload still waits for."""
    parts = [f"{deployment.ready_replicas}/{deployment.replicas} ready", reason]
    codes = [
        c.last_exit_code if c.last_exit_code is not None else c.exit_code
        for p in _pods(pods, deployment)
        for c in p.containers
        if not c.ready
    ]
    code = next((c for c in codes if c not in (None, 0)), None)
    if code is not None:
        parts.append(f"exit {code}")
    return f"{deployment.name}: " + ", ".join(parts)
