"""Tilt's red and waiting states in plain words, next to the Kubernetes ones (`core/health.py`).

Three states are Tilt's own: the Tiltfile does not load, a resource's build (image build, load
and apply: Tilt's "update") failed, and a resource held by `resource_deps`. What happens to the
pods after a deploy (crash loops, image pulls) is explained from the cluster, as with Skaffold.
"""

from __future__ import annotations

from dataclasses import replace

from devstack.core.health import Explanation
from devstack.core.model import Level
from devstack.core.tilt import TILTFILE_RESOURCE, TiltBuild, TiltResource, TiltView, tiltfile_location

MAX_EVIDENCE = 6
_RUNTIME_ERRORS = ("Pod ",)
"""How `tilt ci` words a pod's failure (`Pod "<name>" failed`, `Pod <pod> in error state due to
container <ctr>: <status>`; TILT.md §2.3), as opposed to a build's or the Tiltfile's."""
_NOISE = ("Traceback (most recent call last):",)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip() and line.strip() not in _NOISE]


def _headline(text: str) -> str:
    """The line that says what went wrong: the last `Error:`-like line, else the last line."""
    lines = _lines(text)
    for line in reversed(lines):
        if "error" in line.lower() or "failed" in line.lower():
            return line.strip()
    return lines[-1].strip() if lines else text.strip()


def explain_tiltfile(resource: TiltResource) -> Explanation | None:
    """The Tiltfile's load failed: where (file:line) and what it said."""
    error = resource.build_error
    if not error:
        return None
    where = tiltfile_location(error)
    at = f" at {where}" if where else ""
    return Explanation(
        Level.ERROR,
        "TiltfileError",
        f"The Tiltfile does not load{at}: {_headline(error)}",
        tuple(_lines(error)[-MAX_EVIDENCE:]),
        f"fix {where or 'the Tiltfile'}; Tilt loads the Tiltfile again when you save it",
    )


def explain_build(resource: TiltResource, images: dict[str, str]) -> Explanation | None:
    """A resource's last build failed: the error text, the `docker_build` line it comes from, the fix."""
    error = resource.build_error
    if not error or resource.update_status != "error":
        return None
    declared = images.get(resource.name) or tiltfile_location(error)
    source = f" (docker_build at {declared})" if declared else ""
    return Explanation(
        Level.ERROR,
        "BuildFailed",
        f"Tilt's build of {resource.name} failed{source}: {_headline(error)}",
        tuple(_lines(error)[-MAX_EVIDENCE:]),
        f"fix the error in {resource.name}'s image or Dockerfile{source}; Tilt rebuilds on save "
        f"(or run `tilt trigger {resource.name}`)",
    )


def explain_waiting(resource: TiltResource) -> Explanation | None:
    """A resource Tilt holds back (`waiting-for-dep`: a `resource_deps` dependency not ready yet)."""
    if not resource.waiting_reason:
        return None
    on = ", ".join(resource.waiting_on) or "another resource"
    if resource.waiting_reason == "waiting-for-dep":
        return Explanation(
            Level.PROGRESSING,
            "WaitingOnDependency",
            f"{resource.name} waiting on {on}: the Tiltfile's resource_deps start it once {on} is ready.",
            (f"tilt: waiting {resource.waiting_reason} on {on}",),
            f"see why {on} is not ready",
        )
    return Explanation(
        Level.PROGRESSING,
        "TiltWaiting",
        f"{resource.name} waiting on {on} ({resource.waiting_reason}).",
        (f"tilt: waiting {resource.waiting_reason} on {on}",),
    )


def explain_tilt(view: TiltView) -> list[tuple[str, Explanation]]:
    """(resource, explanation) for each of Tilt's resources in a state of Tilt's own, in Tilt's order."""
    images = dict(view.images)
    found: list[tuple[str, Explanation]] = []
    for resource in view.resources:
        if resource.disabled:
            continue
        if resource.is_tiltfile:
            verdict = explain_tiltfile(resource)
        else:
            verdict = explain_build(resource, images) or explain_waiting(resource)
        if verdict is not None:
            found.append((resource.name, verdict))
    return found


def explain_exit(error: str, view: TiltView, failing: str = "") -> tuple[str, Explanation] | None:
    """Why `tilt ci` (or `tilt up`) ended with `error`: Tilt's own red state as last read, else
    read from the text (`failing`: the resource whose log showed the error, if known)."""
    read = [(n, e) for n, e in explain_tilt(view) if e.level is Level.ERROR]
    if read:
        return read[0]
    if not error:
        return None
    failed = view.resource(failing) if failing else None
    if error.startswith(_RUNTIME_ERRORS) or (failed is not None and failed.update_status == "ok"):
        return None  # a pod's failure after a good build: the Kubernetes explanations say why
    if failing and failing != TILTFILE_RESOURCE:
        resource = failed or TiltResource(failing)
        built = replace(resource, update_status="error", last_build=TiltBuild(None, None, error))
        verdict = explain_build(built, dict(view.images))
        return (failing, verdict) if verdict is not None else None
    if failing == TILTFILE_RESOURCE or tiltfile_location(error):
        verdict = explain_tiltfile(TiltResource(TILTFILE_RESOURCE, last_build=TiltBuild(None, None, error)))
        return (TILTFILE_RESOURCE, verdict) if verdict is not None else None
    return None
