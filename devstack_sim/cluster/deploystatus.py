"""A Deployment's status and its Available/Progressing conditions (pkg/controller/deployment/progress.go)."""

from __future__ import annotations

import copy
import time
from typing import Any

from devstack_sim.store import Obj

from . import rollout as ro
from .meta import now_rfc3339, parse_time

DEFAULT_PROGRESS_DEADLINE = 600
TIMED_OUT = "ProgressDeadlineExceeded"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"


def _get(conditions: list[dict[str, Any]], type_: str) -> dict[str, Any] | None:
    return next((c for c in conditions if c.get("type") == type_), None)


def _set(
    conditions: list[dict[str, Any]], type_: str, status: str, reason: str, message: str, now: str
) -> None:
    """SetDeploymentCondition: no-op for the same status+reason; keeps lastTransitionTime if status holds."""
    current = _get(conditions, type_)
    if current is not None and current.get("status") == status and current.get("reason") == reason:
        return
    transition = (
        current["lastTransitionTime"] if current is not None and current.get("status") == status else now
    )
    conditions[:] = [c for c in conditions if c.get("type") != type_]
    conditions.append(
        {
            "type": type_,
            "status": status,
            "lastUpdateTime": now,
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        }
    )


def compute_status(
    deploy: Obj, new: Obj | None, all_rs: list[Obj], created: bool
) -> tuple[dict[str, Any], float | None]:
    """The deployment's new status, and in how many seconds to look again (progress deadline)."""
    old = deploy.get("status") or {}
    spec = deploy.get("spec", {})
    desired = ro.desired_replicas(deploy)
    _, max_unavailable = ro.surge_and_unavailable(deploy)
    counts = {
        "replicas": sum(ro.status_count(rs, "replicas") for rs in all_rs),
        "updatedReplicas": ro.status_count(new, "replicas") if new is not None else 0,
        "readyReplicas": sum(ro.status_count(rs, "readyReplicas") for rs in all_rs),
        "availableReplicas": sum(ro.status_count(rs, "availableReplicas") for rs in all_rs),
    }
    total = sum(ro.spec_replicas(rs) for rs in all_rs)
    counts["unavailableReplicas"] = max(total - counts["availableReplicas"], 0)
    status: dict[str, Any] = {"observedGeneration": deploy["metadata"].get("generation", 1)}
    status.update({k: v for k, v in counts.items() if v})
    if "collisionCount" in old:
        status["collisionCount"] = old["collisionCount"]
    conditions: list[dict[str, Any]] = copy.deepcopy(old.get("conditions") or [])
    now = now_rfc3339()
    if counts["availableReplicas"] >= desired - max_unavailable:
        _set(
            conditions,
            "Available",
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
            now,
        )
    else:
        _set(
            conditions,
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
            now,
        )
    deadline = spec.get("progressDeadlineSeconds")
    deadline = DEFAULT_PROGRESS_DEADLINE if deadline is None else int(deadline)
    what = (
        f'ReplicaSet "{new["metadata"]["name"]}"'
        if new is not None
        else f'Deployment "{deploy["metadata"]["name"]}"'
    )
    if spec.get("paused"):
        _set(conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now)
    elif new is not None:
        if created:
            _set(
                conditions,
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{new["metadata"]["name"]}"',
                now,
            )
        elif (_get(conditions, "Progressing") or {}).get("reason") in (None, "DeploymentPaused"):
            _set(
                conditions,
                "Progressing",
                "True",
                "FoundNewReplicaSet",
                f'Found new replica set "{new["metadata"]["name"]}"',
                now,
            )
        _progress(conditions, deploy, old, counts, desired, deadline, what, now)
    status["conditions"] = conditions
    return status, _recheck(conditions, deadline)


def _progress(
    conditions: list[dict[str, Any]],
    deploy: Obj,
    old: dict[str, Any],
    counts: dict[str, int],
    desired: int,
    deadline: int,
    what: str,
    now: str,
) -> None:
    current = _get(conditions, "Progressing")
    if (
        current is not None
        and current.get("reason") == NEW_RS_AVAILABLE
        and counts["replicas"] == counts["updatedReplicas"]
    ):
        return  # complete, and nothing rolled since
    complete = (
        counts["updatedReplicas"] == desired
        and counts["replicas"] == desired
        and counts["availableReplicas"] == desired
    )
    old_olds = int(old.get("replicas") or 0) - int(old.get("updatedReplicas") or 0)
    progressed = (
        counts["updatedReplicas"] > int(old.get("updatedReplicas") or 0)
        or counts["replicas"] - counts["updatedReplicas"] < old_olds
        or counts["readyReplicas"] > int(old.get("readyReplicas") or 0)
        or counts["availableReplicas"] > int(old.get("availableReplicas") or 0)
    )
    if complete:
        _set(conditions, "Progressing", "True", NEW_RS_AVAILABLE, f"{what} has successfully progressed.", now)
    elif progressed:
        transition = (
            current["lastTransitionTime"] if current is not None and current["status"] == "True" else now
        )
        conditions[:] = [c for c in conditions if c.get("type") != "Progressing"]
        conditions.append(
            {
                "type": "Progressing",
                "status": "True",
                "lastUpdateTime": now,
                "lastTransitionTime": transition,
                "reason": "ReplicaSetUpdated",
                "message": f"{what} is progressing.",
            }
        )
    elif _timed_out(current, deadline):
        _set(conditions, "Progressing", "False", TIMED_OUT, f"{what} has timed out progressing.", now)


def _timed_out(current: dict[str, Any] | None, deadline: int) -> bool:
    if current is None:
        return False
    if current.get("reason") == TIMED_OUT:
        return True
    since = parse_time(current.get("lastUpdateTime"))
    return since is not None and since + deadline < time.time()


def _recheck(conditions: list[dict[str, Any]], deadline: int) -> float | None:
    current = _get(conditions, "Progressing")
    if current is None or current.get("status") != "True" or current.get("reason") == NEW_RS_AVAILABLE:
        return None
    since = parse_time(current.get("lastUpdateTime"))
    if since is None:
        return None
    return max(since + deadline - time.time(), 0.0) + 1.0
