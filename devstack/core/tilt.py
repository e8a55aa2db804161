"""Tilt's state as devstack keeps it: its resources and its session, read from Tilt's stable
interface (`tilt get uiresources -o json`, `tilt get session Tiltfile -o json`; TILT.md §4.2–4.3).

Pure: the source hands the parsed JSON documents to `resources_from_json` / `session_from_json`
and dispatches the result; the reducer (`reduce_tilt.py`) keeps it and derives the deploy state
and the timeline's phases from it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TILTFILE_RESOURCE = "(Tiltfile)"
"""The resource that stands for the Tiltfile's own load (`pkg/model/manifest.go`)."""
_TILTFILE_AT = re.compile(r"(?P<file>[^\s:\"']*Tiltfile):(?P<line>\d+)(?::(?P<col>\d+))?")


@dataclass(frozen=True)
class TiltBuild:
    """One finished build (Tilt's `UIBuildTerminated`): times in epoch seconds."""

    start: float | None
    finish: float | None
    error: str = ""

    @property
    def seconds(self) -> float | None:
        """How long it took (None when a time is missing)."""
        if self.start is None or self.finish is None:
            return None
        return max(0.0, self.finish - self.start)


@dataclass(frozen=True)
class TiltResource:
    """One of Tilt's resources (a `UIResource`), reduced to what devstack shows and explains.

    Attributes:
        name: The manifest name (`(Tiltfile)` for the Tiltfile's load).
        update_status: none, in_progress, ok, pending, error, not_applicable.
        runtime_status: unknown, ok, pending, error, not_applicable, none.
        building_since: The running build's start (None when no build runs).
        last_build: The most recent finished build.
        pod_name, pod_status, pod_restarts: From `k8sResourceInfo` (k8s resources only).
        waiting_reason: Tilt's hold reason (`waiting-for-dep`, ...), "" when it is not held.
        waiting_on: The names it waits on (UIResource names; image maps as `image:<name>`).
        ready: The `Ready` condition is True.
        disabled: Tilt's disable state is `Disabled`.
    """

    name: str
    update_status: str = "none"
    runtime_status: str = "unknown"
    building_since: float | None = None
    last_build: TiltBuild | None = None
    pod_name: str = ""
    pod_status: str = ""
    pod_restarts: int = 0
    waiting_reason: str = ""
    waiting_on: tuple[str, ...] = ()
    ready: bool = False
    disabled: bool = False
    order: int = 0
    images: tuple[str, ...] = ()
    """The images Tilt builds for it (its `specs` of type image)."""

    @property
    def is_tiltfile(self) -> bool:
        """This resource is the Tiltfile's load."""
        return self.name == TILTFILE_RESOURCE

    @property
    def build_error(self) -> str:
        """The last build's error ("" when it succeeded or none finished)."""
        return self.last_build.error if self.last_build is not None else ""


@dataclass(frozen=True)
class TiltTarget:
    """One target of Tilt's session: `<resource>:update` (a job) or `<resource>:runtime`.

    `state` is waiting, active, terminated, disabled or "" (inactive); `detail` is the waiting
    reason or the terminated error.
    """

    name: str
    type: str
    state: str
    detail: str = ""
    ready: bool = False


@dataclass(frozen=True)
class TiltSession:
    """Tilt's session (`Session` named `Tiltfile`): its targets, and whether `tilt ci` is done."""

    targets: tuple[TiltTarget, ...] = ()
    done: bool = False
    error: str = ""
    exit_condition: str = ""


@dataclass(frozen=True)
class TiltView:
    """Everything devstack read of Tilt: `reachable` False until the first answer, `detail` says
    why the last read failed."""

    resources: tuple[TiltResource, ...] = ()
    session: TiltSession | None = None
    reachable: bool = False
    detail: str = ""
    polled_at: float | None = None
    web_port: int | None = None
    images: tuple[tuple[str, str], ...] = ()
    """(image, `Tiltfile:N`) of the Tiltfile's `docker_build` calls."""

    def resource(self, name: str) -> TiltResource | None:
        """The resource with this name, or None."""
        return next((r for r in self.resources if r.name == name), None)

    @property
    def workloads(self) -> tuple[TiltResource, ...]:
        """The resources other than the Tiltfile's load."""
        return tuple(r for r in self.resources if not r.is_tiltfile)


def micro_time(value: object) -> float | None:
    """A Kubernetes MicroTime/Time (`2026-01-01T00:00:05.000000Z`) in epoch seconds; None for null."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _build(raw: object) -> TiltBuild:
    item = _dict(raw)
    return TiltBuild(
        micro_time(item.get("startTime")), micro_time(item.get("finishTime")), str(item.get("error") or "")
    )


def resource_from_json(item: Mapping[str, Any]) -> TiltResource:
    """One `UIResource` object (TILT.md §4.2)."""
    status = _dict(item.get("status"))
    history = _list(status.get("buildHistory"))
    current = _dict(status.get("currentBuild"))
    k8s = _dict(status.get("k8sResourceInfo"))
    waiting = _dict(status.get("waiting"))
    conditions = {
        str(_dict(c).get("type")): str(_dict(c).get("status")) for c in _list(status.get("conditions"))
    }
    on = []
    for raw in _list(waiting.get("on")):
        ref = _dict(raw)
        name = str(ref.get("name") or "")
        on.append(name if ref.get("kind") in (None, "UIResource") else f"image:{name}")
    restarts = k8s.get("podRestarts")
    order = status.get("order")
    return TiltResource(
        name=str(_dict(item.get("metadata")).get("name") or ""),
        update_status=str(status.get("updateStatus") or "none"),
        runtime_status=str(status.get("runtimeStatus") or "unknown"),
        building_since=micro_time(current.get("startTime")),
        last_build=_build(history[0]) if history else None,
        pod_name=str(k8s.get("podName") or ""),
        pod_status=str(k8s.get("podStatus") or ""),
        pod_restarts=restarts if isinstance(restarts, int) else 0,
        waiting_reason=str(waiting.get("reason") or ""),
        waiting_on=tuple(on),
        ready=conditions.get("Ready") == "True",
        disabled=_dict(status.get("disableStatus")).get("state") == "Disabled",
        order=order if isinstance(order, int) else 0,
        images=tuple(
            str(_dict(s).get("id") or "").removeprefix("image:")
            for s in _list(status.get("specs"))
            if _dict(s).get("type") == "image"
        ),
    )


def resources_from_json(document: object) -> tuple[TiltResource, ...]:
    """The resources of a `tilt get uiresources -o json` List, in Tilt's order."""
    items = _list(_dict(document).get("items"))
    found = [resource_from_json(_dict(i)) for i in items if _dict(i).get("kind") == "UIResource"]
    return tuple(sorted(found, key=lambda r: (r.order, r.name)))


def _target(raw: Mapping[str, Any]) -> TiltTarget:
    state = _dict(raw.get("state"))
    name, kind = str(raw.get("name") or ""), str(raw.get("type") or "")
    if "waiting" in state:
        return TiltTarget(name, kind, "waiting", str(_dict(state["waiting"]).get("waitReason") or ""))
    if "active" in state:
        return TiltTarget(name, kind, "active", ready=bool(_dict(state["active"]).get("ready")))
    if "terminated" in state:
        return TiltTarget(name, kind, "terminated", str(_dict(state["terminated"]).get("error") or ""))
    if "disabled" in state:
        return TiltTarget(name, kind, "disabled")
    return TiltTarget(name, kind, "")


def session_from_json(document: object) -> TiltSession:
    """A bare `Session` object (`tilt get session Tiltfile -o json`, TILT.md §4.3)."""
    spec, status = _dict(_dict(document).get("spec")), _dict(_dict(document).get("status"))
    return TiltSession(
        targets=tuple(_target(_dict(t)) for t in _list(status.get("targets"))),
        done=bool(status.get("done")),
        error=str(status.get("error") or ""),
        exit_condition=str(spec.get("exitCondition") or ""),
    )


def tiltfile_location(text: str) -> str:
    """`Tiltfile:12` (the file's name and line) from an error text that names one, else ""."""
    found = _TILTFILE_AT.search(text)
    if found is None:
        return ""
    return f"{found['file'].rsplit('/', 1)[-1]}:{found['line']}"


def first_deploy_state(view: TiltView) -> str:
    """Where Tilt's first deploy stands: `loading`, `building`, `deployed` or `failed`.

    `failed` when the Tiltfile does not load or a resource's last update failed; `deployed` once
    the Tiltfile loaded and every enabled resource's update is ok (not pending or running).
    """
    tiltfile = view.resource(TILTFILE_RESOURCE)
    if tiltfile is not None and tiltfile.build_error:
        return "failed"
    if tiltfile is None or tiltfile.update_status in ("none", "pending", "in_progress"):
        return "loading"
    workloads = [r for r in view.workloads if not r.disabled]
    if any(r.update_status == "error" for r in workloads):
        return "failed"
    if workloads and all(r.update_status in ("ok", "not_applicable") for r in workloads):
        return "deployed"
    return "building"


_PREFIXED = re.compile(r"^\s*(?P<name>\S[^│]{0,14}?) │ (?P<text>.*)$")


def log_source(line: str) -> tuple[str, str]:
    """(resource, text) of one line of Tilt's stream: resources' lines carry their name right-aligned
    in 13 columns and ` │ ` (TILT.md §1.3); lines without it are the Tiltfile's or Tilt's own ("")."""
    found = _PREFIXED.match(line)
    if found is None:
        return "", line
    return found["name"].strip(), found["text"]


def resolve_name(shown: str, names: tuple[str, ...]) -> str:
    """The resource a log prefix names (Tilt cuts long names to 12 characters and `…`)."""
    if shown in names or not shown.endswith("…"):
        return shown
    return next((n for n in names if n.startswith(shown[:-1])), shown)


def resource_state(resource: TiltResource) -> tuple[str, str]:
    """(status, words) of one resource for the views: status ok, running, pending or failed."""
    if resource.disabled:
        return "pending", "disabled"
    if resource.building_since is not None:
        return "running", "building"
    if resource.update_status == "error":
        return "failed", "build failed" if not resource.is_tiltfile else "Tiltfile error"
    if resource.waiting_reason:
        return "pending", f"waiting on {', '.join(resource.waiting_on) or resource.waiting_reason}"
    if resource.runtime_status == "error":
        return "failed", resource.pod_status or "runtime error"
    if resource.ready:
        restarts = f", {resource.pod_restarts} restarts" if resource.pod_restarts else ""
        return "ok", f"ok{restarts}" if not resource.is_tiltfile else "loaded"
    if resource.update_status in ("pending", "in_progress"):
        return "pending", "update pending"
    return "pending", resource.pod_status or resource.runtime_status
