"""The tilt stand-in's engine state and the API objects made from it (TILT.md §4.2–4.3).

`EngineState` holds one `ResourceState` per resource (`(Tiltfile)` first) and the session's
start; `ui_resource()` and `session()` turn them into the `tilt.dev/v1alpha1` `UIResource` and
`Session` objects with Tilt's field names, enums and derivations (update status, runtime status,
the Ready/UpToDate conditions whose `lastTransitionTime` is kept while unchanged, session targets).
Everything is guarded by one lock; readers get deep copies.
"""

from __future__ import annotations

import copy
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

TILTFILE = "(Tiltfile)"
GROUP = "tilt.dev"
API_VERSION = "tilt.dev/v1alpha1"


def micro_time(at: float | None) -> str | None:
    """metav1.MicroTime JSON: `2006-01-02T15:04:05.000000Z` in UTC, `null` when unset."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def k8s_time(at: float | None) -> str | None:
    """metav1.Time JSON (seconds), `null` when unset."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Build:
    """One finished build of a resource."""

    start: float
    finish: float
    error: str = ""
    span: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class PodInfo:
    """What the runtime monitor saw of a resource's newest pod."""

    name: str
    created: float | None
    status: str  # kubectl-style: Running, Pending, ContainerCreating, CrashLoopBackOff, ...
    message: str
    ready: bool
    restarts: int
    runtime: str  # ok | pending | error
    error_container: str = ""


@dataclass
class ResourceState:
    """One resource as the engine knows it."""

    name: str
    order: int
    kind: str  # "tiltfile" | "k8s"
    labels: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    display_names: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    has_pods: bool = True
    disabled: bool = False
    builds: list[Build] = field(default_factory=list)
    current: float | None = None  # start of the running build
    pending_since: float | None = None
    deployed_at: float | None = None
    waiting: tuple[str, list[str]] | None = None  # (hold reason, the UIResources it waits on)
    pod: PodInfo | None = None
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = 1
    conditions: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # type -> (status, reason, t)
    build_count: int = 0
    spec_hash: str = ""  # the pod template hash of the last deploy

    @property
    def update_status(self) -> str:
        """`ManifestState.UpdateStatus` (TILT.md §4.2)."""
        if self.disabled:
            return "none"
        if self.current is not None:
            return "in_progress"
        if self.pending_since is not None:
            return "pending"
        if self.builds:
            return "error" if self.builds[0].error else "ok"
        return "none"

    @property
    def runtime_status(self) -> str:
        """`K8sRuntimeState.RuntimeStatus`, reshaped by the update status; `(Tiltfile)` is n/a."""
        if self.kind == "tiltfile":
            return "not_applicable"
        if self.disabled:
            return "none"
        if not self.has_pods:
            return "not_applicable"
        runtime = "pending" if self.pod is None or self.deployed_at is None else self.pod.runtime
        if runtime in ("pending", "unknown"):
            update = self.update_status
            if update == "none":
                return "none"
            if update in ("pending", "in_progress"):
                return "pending"
        return runtime


class EngineState:
    """Every resource of one `tilt up`/`tilt ci` run, and the session's spec."""

    def __init__(self, tiltfile_path: str, exit_condition: str, ci_spec: dict[str, str]) -> None:
        self.lock = threading.RLock()
        self.start = time.time()
        self.tiltfile_path = tiltfile_path
        self.exit_condition = exit_condition
        self.ci_spec = dict(ci_spec)
        self.resources: dict[str, ResourceState] = {
            TILTFILE: ResourceState(TILTFILE, 1, "tiltfile", pending_since=time.time())
        }
        self.session_uid = str(uuid.uuid4())
        self.done = False
        self.error = ""

    def get(self, name: str) -> ResourceState | None:
        """The resource called `name`."""
        with self.lock:
            return self.resources.get(name)

    def touch(self, resource: ResourceState) -> None:
        """Count a change of the resource (its resourceVersion) and note condition transitions."""
        resource.version += 1
        _conditions(resource)

    def ui_resources(self) -> list[dict[str, Any]]:
        """Every UIResource object, in order."""
        with self.lock:
            ordered = sorted(self.resources.values(), key=lambda r: r.order)
            return [ui_resource(r) for r in ordered]

    def session(self) -> dict[str, Any]:
        """The Session object `Tiltfile`."""
        with self.lock:
            return session(self)


def _condition(resource: ResourceState, kind: str, status: str, reason: str) -> dict[str, Any]:
    previous = resource.conditions.get(kind)
    at = time.time() if previous is None or previous[:2] != (status, reason) else previous[2]
    resource.conditions[kind] = (status, reason, at)
    shown: dict[str, Any] = {"type": kind, "status": status, "lastTransitionTime": micro_time(at)}
    if reason:
        shown["reason"] = reason
    return shown


def _conditions(resource: ResourceState) -> list[dict[str, Any]]:
    """Ready and UpToDate (internal/hud/webview/convert.go)."""
    update, runtime = resource.update_status, resource.runtime_status
    if runtime == "ok" or (runtime == "not_applicable" and update == "ok"):
        ready = ("True", "")
    elif resource.disabled:
        ready = ("False", "Disabled")
    elif runtime == "error":
        ready = ("False", "RuntimeError")
    elif update == "error":
        ready = ("False", "UpdateError")
    elif runtime == "pending":
        ready = ("False", "RuntimePending")
    elif update in ("pending", "in_progress"):
        ready = ("False", "UpdatePending")
    else:
        ready = ("False", "Unknown")
    if update in ("ok", "not_applicable"):
        up_to_date = ("True", "")
    elif resource.disabled:
        up_to_date = ("False", "Disabled")
    elif update == "error":
        up_to_date = ("False", "UpdateError")
    elif update in ("pending", "in_progress"):
        up_to_date = ("False", "UpdatePending")
    else:
        up_to_date = ("False", "Unknown")
    return [_condition(resource, "UpToDate", *up_to_date), _condition(resource, "Ready", *ready)]


def ui_resource(r: ResourceState) -> dict[str, Any]:
    """The `UIResource` object of one resource (TILT.md §4.2)."""
    history = [
        {
            "error": b.error or None,
            "warnings": b.warnings or None,
            "startTime": micro_time(b.start),
            "finishTime": micro_time(b.finish),
            "spanID": b.span,
        }
        for b in r.builds[:2]
    ]
    status: dict[str, Any] = {
        "buildHistory": [
            {k: v for k, v in b.items() if v is not None or k.endswith("Time")} for b in history
        ],
        "conditions": _conditions(r),
        "endpointLinks": list(r.links),
        "lastDeployTime": micro_time(r.deployed_at),
        "order": r.order,
        "pendingBuildSince": micro_time(r.pending_since),
        "hasPendingChanges": r.pending_since is not None,
        "queued": False,
        "runtimeStatus": r.runtime_status,
        "updateStatus": r.update_status,
        "specs": [{"id": f"image:{i}", "type": "image"} for i in r.images]
        + [{"id": f"k8s:{r.name}", "type": "k8s"}],
    }
    if r.kind == "tiltfile":
        status["specs"] = []
    else:
        status["disableStatus"] = {
            "enabledCount": 0 if r.disabled else 1,
            "disabledCount": 1 if r.disabled else 0,
            "sources": [{"configMap": {"name": f"{r.name}-disable", "key": "isDisabled"}}],
            "state": "Disabled" if r.disabled else "Enabled",
        }
        pod = r.pod
        status["k8sResourceInfo"] = {
            "podName": pod.name if pod else "",
            "podCreationTime": k8s_time(pod.created if pod else None),
            "podUpdateStartTime": k8s_time(r.deployed_at),
            "podStatus": pod.status if pod else "",
            "podStatusMessage": pod.message if pod else "",
            "allContainersReady": bool(pod and pod.ready),
            "podRestarts": pod.restarts if pod else 0,
            "spanID": f"pod:{r.name}:{pod.name}" if pod else "",
            "displayNames": list(r.display_names),
        }
    if r.current is not None:
        status["currentBuild"] = {
            "startTime": micro_time(r.current),
            "spanID": f"build:{r.name}:{r.build_count}",
        }
    if r.waiting is not None and not r.disabled:
        reason, on = r.waiting
        status["waiting"] = {
            "reason": reason,
            "on": [{"group": GROUP, "apiVersion": "v1alpha1", "kind": "UIResource", "name": n} for n in on],
        }
    meta: dict[str, Any] = {
        "name": r.name,
        "uid": r.uid,
        "resourceVersion": str(r.version),
        "creationTimestamp": k8s_time(r.created),
        "annotations": {"tilt.dev/resource": r.name},
    }
    if r.labels:
        meta["labels"] = {label: label for label in r.labels}
    return {"apiVersion": API_VERSION, "kind": "UIResource", "metadata": meta, "spec": {}, "status": status}


def _update_target(r: ResourceState) -> dict[str, Any]:
    name = "tiltfile:update" if r.kind == "tiltfile" else f"{r.name}:update"
    state: dict[str, Any] = {}
    if r.disabled:
        state = {"disabled": {}}
    elif r.current is not None:
        state = {"active": {"startTime": micro_time(r.current), "ready": False}}
    elif r.builds and r.pending_since is None:
        last = r.builds[0]
        terminated: dict[str, Any] = {
            "startTime": micro_time(last.start),
            "finishTime": micro_time(last.finish),
        }
        if last.error:
            terminated["error"] = last.error
        state = {"terminated": terminated}
    else:
        reason = r.waiting[0] if r.waiting else ("initial-build" if r.kind == "tiltfile" else "unknown")
        state = {"waiting": {"waitReason": reason}}
    return {"name": name, "type": "job", "resources": [r.name], "state": state}


def _runtime_target(r: ResourceState) -> dict[str, Any]:
    state: dict[str, Any]
    pod = r.pod
    if r.disabled:
        state = {"disabled": {}}
    elif pod is None or r.deployed_at is None:
        state = {"waiting": {"waitReason": "waiting-for-pod" if r.deployed_at else "unknown"}}
    elif pod.runtime == "error":
        error = f"Pod {pod.name} in error state due to container {pod.error_container}: {pod.status}"
        state = {"terminated": {"startTime": micro_time(pod.created), "finishTime": None, "error": error}}
    elif pod.status in ("Pending", "ContainerCreating", "PodInitializing") and not pod.ready:
        state = {"waiting": {"waitReason": pod.status}}
    else:
        state = {"active": {"startTime": micro_time(pod.created), "ready": pod.ready}}
    return {"name": f"{r.name}:runtime", "type": "server", "resources": [r.name], "state": state}


def targets(engine: EngineState) -> list[dict[str, Any]]:
    """The session's targets, sorted by name (internal/controllers/core/session/conv.go)."""
    found = []
    for r in engine.resources.values():
        found.append(_update_target(r))
        if r.kind == "k8s" and r.has_pods:
            found.append(_runtime_target(r))
    return sorted(found, key=lambda t: str(t["name"]))


def session(engine: EngineState) -> dict[str, Any]:
    """The `Session` object (TILT.md §4.3)."""
    spec: dict[str, Any] = {"tiltfilePath": engine.tiltfile_path, "exitCondition": engine.exit_condition}
    if engine.exit_condition == "ci":
        spec["ci"] = dict(engine.ci_spec)
    status: dict[str, Any] = {
        "pid": os.getpid(),
        "startTime": micro_time(engine.start),
        "targets": targets(engine),
        "done": engine.done,
    }
    if engine.error:
        status["error"] = engine.error
    return {
        "apiVersion": API_VERSION,
        "kind": "Session",
        "metadata": {
            "name": "Tiltfile",
            "uid": engine.session_uid,
            "resourceVersion": "1",
            "creationTimestamp": k8s_time(engine.start),
        },
        "spec": spec,
        "status": copy.deepcopy(status),
    }
