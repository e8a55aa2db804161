"""Reducers for the dev loop: Skaffold's event API, the neutral `Loop*` events any deploy tool's
runner (and the engine's own watchers) send, and the deploy tool's output lines.

How the tool is followed is the deploy state's `channel`: with `events` the phases and rollouts
come from the event API and the output lines only add what that API does not carry (the image
load into kind, the tags deployed, error lines); with `log` (a Skaffold without the API) the
output lines are read for everything, as before; while `pending` the lines wait, with their
times, to be read if the channel becomes `log`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from devstack.core import events as ev
from devstack.core import timeline as tl
from devstack.core.deploy import upsert
from devstack.core.derive import redeploy_steps
from devstack.core.devloop import add_error, begin_iteration, fail_iteration, set_artifact, with_deploy
from devstack.core.handlers import HandlerTable
from devstack.core.reduce_deploy import common_signal, log_signal
from devstack.core.state import State
from devstack.core.toolout import parse_skaffold_line

table = HandlerTable()
on = table.on

IN_PROGRESS, SUCCEEDED, FAILED = "InProgress", "Succeeded", "Failed"


# ----------------------------------------------------------------------------- neutral events
@on(ev.DeployChannel)
def _channel(state: State, event: ev.DeployChannel) -> State:
    previous, waiting = state.deploy.phase, state.deploy.pending
    state = with_deploy(state, channel=event.channel, channel_detail=event.detail, pending=())
    if event.channel == "log":
        for at, line in waiting:
            signal = parse_skaffold_line(line)
            if signal is not None:
                state = log_signal(common_signal(state, signal, at), signal, at)
    return redeploy_steps(state, previous)


@on(ev.LoopIterationStarted)
def _iteration_started(state: State, event: ev.LoopIterationStarted) -> State:
    return begin_iteration(state, event.tool_iteration, event.at, event.first)


@on(ev.LoopTriggered)
def _triggered(state: State, event: ev.LoopTriggered) -> State:
    timeline = tl.triggered(state.timeline, event.files, event.saved_at, event.changed, event.sync_rules)
    return replace(state, timeline=timeline)


@on(ev.LoopPhase)
def _phase(state: State, event: ev.LoopPhase) -> State:
    if event.ended:
        timeline = tl.phase_ended(
            state.timeline, event.phase, event.subject, event.at, event.ok, event.detail
        )
    else:
        timeline = tl.phase_started(state.timeline, event.phase, event.subject, event.at)
    return replace(state, timeline=timeline)


@on(ev.LoopIterationEnded)
def _iteration_ended(state: State, event: ev.LoopIterationEnded) -> State:
    return replace(state, timeline=tl.ended(state.timeline, event.at, event.ok, event.error))


# ----------------------------------------------------------------------------- Skaffold's event API
@on(ev.SkaffoldTask)
def _task(state: State, event: ev.SkaffoldTask) -> State:
    # A redeploy's steps (deploy, ready) follow the phase as they do with the output lines.
    return redeploy_steps(task_progress(state, event), state.deploy.phase)


def task_progress(state: State, event: ev.SkaffoldTask) -> State:
    """A task of the event API: the iteration, the deploy phase and the timeline's deploy."""
    task, status = event.task, event.status
    current = state.timeline.current
    if task == "DevLoop":
        if status == IN_PROGRESS:
            return begin_iteration(state, event.iteration, event.at, first=state.deploy.iteration == 0)
        if status == SUCCEEDED:
            return with_deploy(state, phase="watching")
        return fail_iteration(state, event.error or "the iteration failed", event.at)
    if task == "Build" and status == IN_PROGRESS:
        # `skaffold run` has no DevLoop task: its one iteration begins with the build.
        if state.deploy.iteration == 0 or current is None or current.tool_iteration != event.iteration:
            state = begin_iteration(state, event.iteration, event.at, first=state.deploy.iteration == 0)
        return with_deploy(state, phase="building")
    if task == "Deploy":
        if status == IN_PROGRESS:
            state = with_deploy(state, phase="deploying")
            timeline = state.timeline
            load = timeline.current.phase("load") if timeline.current is not None else None
            if load is not None and (load.end is None or load.end > event.at):
                # Loading ends before the deploy starts (its line may be read a moment later).
                timeline = tl.phase_ended(timeline, "load", "", event.at, load.ok is not False, load.detail)
            return replace(state, timeline=tl.phase_started(timeline, "deploy", "", event.at))
        ok = status == SUCCEEDED
        state = replace(
            state, timeline=tl.phase_ended(state.timeline, "deploy", "", event.at, ok, event.error)
        )
        return state if ok else fail_iteration(state, event.error or "the deploy failed", event.at)
    if task == "StatusCheck":
        if status == IN_PROGRESS:
            return with_deploy(state, phase="stabilizing")
        if status == SUCCEEDED:
            return with_deploy(state, phase="deployed")
    if status == FAILED:
        return fail_iteration(state, event.error or f"{task} failed", event.at)
    return state


@on(ev.SkaffoldBuildStep)
def _build_step(state: State, event: ev.SkaffoldBuildStep) -> State:
    artifact, status, timeline = event.artifact, event.status, state.timeline
    deploy = state.deploy
    if event.step == "Cache":
        if status == IN_PROGRESS:
            timeline = tl.phase_started(timeline, "cache", "", event.at)
        else:
            timeline = tl.phase_ended(timeline, "cache", "", event.at)
            if status == SUCCEEDED:
                deploy = set_artifact(deploy, artifact, "cached")
            else:
                timeline = tl.cache_missed(timeline, artifact)
        return replace(state, deploy=deploy, timeline=timeline)
    if status == IN_PROGRESS:
        deploy = set_artifact(deploy, artifact, "building")
        timeline = tl.phase_started(timeline, "build", artifact, event.at)
    else:
        ok = status == SUCCEEDED
        deploy = set_artifact(deploy, artifact, "built" if ok else "failed")
        timeline = tl.phase_ended(
            timeline, "build", artifact, event.at, ok, "" if ok else event.error or status
        )
        if not ok:
            deploy = add_error(deploy, f"{artifact}: {event.error or status.lower()}")
    return replace(state, deploy=deploy, timeline=timeline)


@on(ev.SkaffoldDeployStep)
def _deploy_step(state: State, event: ev.SkaffoldDeployStep) -> State:
    if event.status == FAILED:
        return replace(state, deploy=add_error(state.deploy, event.error or "the deploy failed"))
    return state


@on(ev.SkaffoldStatusCheck)
def _status_check(state: State, event: ev.SkaffoldStatusCheck) -> State:
    name = event.resource.rsplit("/", 1)[-1]
    status = {IN_PROGRESS: "waiting", SUCCEEDED: "ready"}.get(event.status, "failed")
    message = "" if status == "ready" else event.message
    rows = upsert(state.deploy.rollouts, name, (name, status, message))
    deploy = replace(state.deploy, rollouts=cast(tuple[tuple[str, str, str], ...], rows))
    if status == "failed":
        deploy = add_error(deploy, f"{name}: {event.message}")
    return replace(state, deploy=deploy)


@on(ev.SkaffoldFileSync)
def _file_sync(state: State, event: ev.SkaffoldFileSync) -> State:
    timeline = state.timeline
    if event.status == IN_PROGRESS:
        timeline = tl.phase_started(timeline, "sync", event.image, event.at)
    else:
        ok = event.status == SUCCEEDED
        detail = f"{event.file_count} file(s)" if ok else event.error
        timeline = tl.phase_ended(timeline, "sync", event.image, event.at, ok, detail)
        if not ok:
            timeline = tl.sync_failed(timeline, event.image, event.error)
    return replace(state, timeline=timeline)


@on(ev.SkaffoldTerminated)
def _terminated(state: State, event: ev.SkaffoldTerminated) -> State:
    if event.status == "Failed" and event.error:
        return replace(state, deploy=add_error(state.deploy, event.error))
    return state
