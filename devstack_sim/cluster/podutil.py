"""Reading pods the way controllers do: readiness, activity, requests, QoS."""

from __future__ import annotations

import time
from typing import Any

from devstack_sim.store import Obj

from .meta import parse_cpu_millis, parse_memory_bytes, parse_time


def condition(obj: Obj, type_: str) -> dict[str, Any] | None:
    """The status condition of a type, or None."""
    for cond in obj.get("status", {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None


def is_ready(pod: Obj) -> bool:
    """The pod's Ready condition is True (hot path: no copies)."""
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def is_terminating(pod: Obj) -> bool:
    """The pod has a deletionTimestamp."""
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_finished(pod: Obj) -> bool:
    """The pod ran to completion (Succeeded or Failed)."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_active(pod: Obj) -> bool:
    """Counted by ReplicaSets: neither terminating nor finished."""
    return not pod["metadata"].get("deletionTimestamp") and not is_finished(pod)


def is_available(pod: Obj, min_ready_seconds: int, now: float | None = None) -> bool:
    """Ready for at least `min_ready_seconds`."""
    cond = condition(pod, "Ready")
    if not cond or cond.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = parse_time(cond.get("lastTransitionTime"))
    now = time.time() if now is None else now
    return since is not None and since + min_ready_seconds <= now


def restart_count(pod: Obj) -> int:
    """Sum of the containers' restart counts."""
    return sum(int(s.get("restartCount", 0)) for s in pod.get("status", {}).get("containerStatuses") or [])


def _resources(container: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    resources = container.get("resources") or {}
    limits = resources.get("limits") or {}
    requests = dict(limits)  # requests default to limits
    requests.update(resources.get("requests") or {})
    return requests, limits


def requests(pod: Obj) -> tuple[int, int]:
    """The pod's effective (cpu millicores, memory bytes) requests, init containers included."""
    spec = pod.get("spec", {})
    cpu = mem = 0
    for container in spec.get("containers") or []:
        req, _ = _resources(container)
        cpu += parse_cpu_millis(req.get("cpu", 0))
        mem += parse_memory_bytes(req.get("memory", 0))
    for container in spec.get("initContainers") or []:
        req, _ = _resources(container)
        cpu = max(cpu, parse_cpu_millis(req.get("cpu", 0)))
        mem = max(mem, parse_memory_bytes(req.get("memory", 0)))
    return cpu, mem


def qos_class(pod: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, from the containers' requests and limits."""
    containers = list(pod.get("spec", {}).get("containers") or [])
    containers += pod.get("spec", {}).get("initContainers") or []
    any_set = False
    guaranteed = True
    for container in containers:
        req, limits = _resources(container)
        if req or limits:
            any_set = True
        for resource in ("cpu", "memory"):
            if resource not in limits or str(req.get(resource)) != str(limits[resource]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def container_ports(pod: Obj) -> dict[str, int]:
    """Named container ports of every container: name → containerPort."""
    named: dict[str, int] = {}
    for container in pod.get("spec", {}).get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") and "containerPort" in port:
                named.setdefault(str(port["name"]), int(port["containerPort"]))
    return named
