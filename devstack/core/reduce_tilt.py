"""Reducers for Tilt's state: the view (`core/tilt.py`), the deploy state and the timeline.

Tilt reports one span per resource and build (its "update": image build, load into the cluster
and apply), with its own start and finish times. An iteration begins with the first build that
starts while none runs; each build is a `build:<resource>` phase with Tilt's times; when no build
runs or waits any more the iteration's `deploy` phase is marked at the last finish (Tilt's update
already holds the apply) and the loop tracker goes on with rollout, forwards and http.
"""

from __future__ import annotations

from dataclasses import replace

from devstack.core import events as ev
from devstack.core import timeline as tl
from devstack.core.derive import redeploy_steps
from devstack.core.devloop import add_error, begin_iteration, fail_iteration, with_deploy
from devstack.core.handlers import HandlerTable
from devstack.core.model import Level
from devstack.core.state import State
from devstack.core.tilt import TiltResource, TiltView, first_deploy_state
from devstack.core.tilt_explain import explain_tilt

table = HandlerTable()
on = table.on

_PHASE_OF = {"loading": "building", "building": "building", "deployed": "deployed", "failed": "failed"}
_BUSY = ("in_progress", "pending")


@on(ev.TiltPolled)
def _polled(state: State, event: ev.TiltPolled) -> State:
    before, previous = state.tilt, state.deploy.phase
    view = TiltView(
        resources=event.resources,
        session=event.session,
        reachable=True,
        polled_at=event.at,
        web_port=event.web_port if event.web_port is not None else before.web_port,
        images=event.images or before.images,
    )
    state = replace(state, tilt=view)
    state = _timeline(state, before, view, event.at)
    if state.deploy.tool != "tilt" or state.deploy.exit_code is not None:
        return state
    deploy = state.deploy
    for name, verdict in explain_tilt(view):
        if verdict.level is Level.ERROR:
            deploy = add_error(deploy, f"{name}: {verdict.summary}")
    phase = _PHASE_OF[first_deploy_state(view)]
    state = replace(state, deploy=replace(deploy, phase=phase, artifacts=_artifacts(view)))
    return redeploy_steps(state, previous)


def _artifacts(view: TiltView) -> tuple[tuple[str, str], ...]:
    """(image, status) of the Tiltfile's images: building, built or failed as the resource that
    builds it says, `declared` for an image no resource builds (no object uses it)."""
    status_of: dict[str, str] = {}
    for resource in view.workloads:
        status = "building" if resource.building_since is not None else ""
        if not status and resource.last_build is not None:
            status = "failed" if resource.build_error else "built"
        for image in resource.images:
            status_of[image] = status or "declared"
    names = dict.fromkeys([*(image for image, _ in view.images), *status_of])
    return tuple((image, status_of.get(image, "declared")) for image in names)


@on(ev.TiltStarted)
def _tilt_started(state: State, event: ev.TiltStarted) -> State:
    view = TiltView(web_port=event.web_port, images=event.images, detail="starting")
    return replace(state, tilt=view, deploy=replace(state.deploy, artifacts=_artifacts(view)))


@on(ev.TiltUnreachable)
def _unreachable(state: State, event: ev.TiltUnreachable) -> State:
    return replace(state, tilt=replace(state.tilt, reachable=False, detail=event.detail, polled_at=event.at))


def _new_build(old: TiltResource | None, new: TiltResource) -> bool:
    return new.last_build is not None and (old is None or old.last_build != new.last_build)


def _started(old: TiltResource | None, new: TiltResource) -> bool:
    return new.building_since is not None and (old is None or old.building_since != new.building_since)


def _timeline(state: State, before: TiltView, view: TiltView, at: float) -> State:
    """Builds that started or finished since the previous read, as the timeline's phases."""
    ended_any = False
    for resource in view.workloads:
        old = before.resource(resource.name)
        finished = _new_build(old, resource)
        if finished and resource.last_build is not None:
            build = resource.last_build
            start = build.start if build.start is not None else at
            state = _ensure_iteration(state, start)
            timeline = tl.phase_started(state.timeline, "build", resource.name, start)
            detail = "" if not build.error else build.error.strip().splitlines()[-1]
            finish = build.finish if build.finish is not None else at
            timeline = tl.phase_ended(timeline, "build", resource.name, finish, not build.error, detail)
            state = replace(state, timeline=timeline)
            ended_any = True
        if _started(old, resource) and resource.building_since is not None:
            state = _ensure_iteration(state, resource.building_since)
            timeline = tl.phase_started(state.timeline, "build", resource.name, resource.building_since)
            state = replace(state, timeline=timeline)
    current = state.timeline.current
    if not ended_any or current is None or not current.running:
        return state
    if any(r.update_status in _BUSY for r in view.workloads if not r.disabled):
        return state
    failed = [r for r in view.workloads if r.update_status == "error" and r.build_error]
    if failed:
        first = failed[0]
        return fail_iteration(state, f"{first.name}: {first.build_error.strip().splitlines()[-1]}", at)
    finishes = [p.end for p in current.phases if p.kind == "build" and p.end is not None]
    mark = max(finishes) if finishes else at
    timeline = tl.phase_started(state.timeline, "deploy", "", mark)
    timeline = tl.phase_ended(timeline, "deploy", "", mark, True, "in Tilt's update")
    return with_deploy(replace(state, timeline=timeline), phase="deployed")


def _ensure_iteration(state: State, at: float) -> State:
    """The iteration a build belongs to: the running one while Tilt's part of it goes on, else a
    new one (a build after the deploy mark is the next change; `begin` ends a running one)."""
    current = state.timeline.current
    marked = current.phase("deploy") if current is not None else None
    if current is not None and current.running and (marked is None or marked.running):
        return state
    first = state.deploy.iteration == 0
    return begin_iteration(state, state.deploy.iteration + 1, at, first)
