"""Reducers for the deploy tool: its start and exit, and its output lines — read for everything
when the channel is `log` (or not set), and otherwise only for what Skaffold's event API does not
carry (`reduce_devloop.py` has the API's events)."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from devstack.core import events as ev
from devstack.core import timeline as tl
from devstack.core.deploy import MAX_ERRORS, MAX_LINES, MAX_PENDING, DeployState, upsert
from devstack.core.derive import redeploy_steps, stack_removed
from devstack.core.devloop import add_error, begin_iteration, with_deploy
from devstack.core.handlers import HandlerTable
from devstack.core.state import State
from devstack.core.toolout import SkaffoldSignal, parse_skaffold_line, strip_ansi

table = HandlerTable()
on = table.on

_PHASE_OF = {
    "deploy-start": "deploying",
    "image-load": "deploying",
    "stabilizing": "stabilizing",
    "stabilized": "deployed",
    "status-failed": "failed",
    "watching": "watching",
    "cleanup": "cleaning-up",
}
_ARTIFACT_STATUS = {"build-start": "building", "build-done": "built", "build-failed": "failed"}


@on(ev.DeployStarted)
def _started(state: State, event: ev.DeployStarted) -> State:
    deploy = DeployState(
        tool=event.tool, mode=event.mode, command=event.command, started_at=event.at, channel=event.channel
    )
    return replace(state, deploy=deploy)


@on(ev.DeployOutput)
def _output(state: State, event: ev.DeployOutput) -> State:
    line = strip_ansi(event.line)
    previous = state.deploy.phase
    state = with_deploy(state, lines=(*state.deploy.lines, line)[-MAX_LINES:])
    return redeploy_steps(line_read(state, line, event.at), previous)


def apply_signal(deploy: DeployState, signal: SkaffoldSignal) -> DeployState:
    """The deploy state after one understood line."""
    kind = signal.kind
    if kind == "tags":
        return replace(deploy, phase="building", iteration=deploy.iteration + 1, rollouts=(), errors=())
    if kind in _ARTIFACT_STATUS:
        artifacts = upsert(deploy.artifacts, signal.subject, (signal.subject, _ARTIFACT_STATUS[kind]))
        deploy = replace(deploy, artifacts=cast(tuple[tuple[str, str], ...], artifacts))
    elif kind == "cache" and signal.subject and signal.detail.startswith("Found"):
        artifacts = upsert(deploy.artifacts, signal.subject, (signal.subject, "cached"))
        deploy = replace(deploy, artifacts=cast(tuple[tuple[str, str], ...], artifacts))
    elif kind in ("rollout-waiting", "rollout-ready", "rollout-failed"):
        status = kind.removeprefix("rollout-")
        rows = upsert(deploy.rollouts, signal.subject, (signal.subject, status, signal.detail))
        deploy = replace(deploy, rollouts=cast(tuple[tuple[str, str, str], ...], rows))
    if kind in ("rollout-failed", "status-failed", "build-failed", "error"):
        message = signal.detail if kind != "rollout-failed" else f"{signal.subject}: {signal.detail}"
        deploy = replace(deploy, errors=(*deploy.errors, message)[-MAX_ERRORS:])
    if kind == "build-failed":
        deploy = replace(deploy, phase="failed")
    if kind in _PHASE_OF:
        deploy = replace(deploy, phase=_PHASE_OF[kind])
    return deploy


@on(ev.DeployExited)
def _exited(state: State, event: ev.DeployExited) -> State:
    phase = "stopped" if event.requested else "failed" if event.code != 0 else "done"
    state = replace(state, deploy=replace(state.deploy, exit_code=event.code, phase=phase))
    if event.code != 0 and not event.requested:
        error = f"{state.deploy.tool or 'the deploy tool'} exited with code {event.code}"
        state = replace(state, timeline=tl.ended(state.timeline, event.at, False, error))
    return state


def line_read(state: State, line: str, at: float) -> State:
    """One output line of the deploy tool, by the channel (the Log pane already has it).

    Tilt's output is only shown: its progress is read from its API objects (`reduce_tilt.py`).
    """
    if state.deploy.tool == "tilt":
        return state
    signal = parse_skaffold_line(line)
    if signal is None:
        return state
    state = common_signal(state, signal, at)
    channel = state.deploy.channel
    if channel in ("", "log"):
        return log_signal(state, signal, at)
    if channel == "pending":
        return with_deploy(state, pending=(*state.deploy.pending, (at, line))[-MAX_PENDING:])
    return state


def _load_start(state: State, read_at: float) -> float:
    """When the image load began. Skaffold loads right after its builds and before it deploys; when
    its Deploy event was reduced before the load's line was read (a loaded machine), the line is
    late: the load began when the phases before the deploy had ended."""
    current = state.timeline.current
    deploy = current.phase("deploy") if current is not None else None
    if current is None or deploy is None or state.deploy.channel in ("", "log") or read_at <= deploy.start:
        return read_at
    ended = [p.end for p in current.phases if p.end is not None and p.end <= deploy.start]
    return max(ended, default=deploy.start)


def common_signal(state: State, signal: SkaffoldSignal, at: float) -> State:
    """What the output says whatever the channel: image load, tags, error lines."""
    kind, timeline = signal.kind, state.timeline
    if kind == "image-load" and not signal.subject:
        return replace(state, timeline=tl.phase_started(timeline, "load", "", _load_start(state, at)))
    if kind == "image-load" and signal.detail == "Failed":
        return replace(
            state, timeline=tl.phase_ended(timeline, "load", "", at, False, f"{signal.subject}: Failed")
        )
    if kind == "images-loaded":
        if state.deploy.channel in ("", "log"):
            # The text said "Starting deploy..." before loading: the deploy starts after the load.
            timeline = tl.phase_ended(timeline, "load", "", at)
            return replace(state, timeline=tl.phase_restarted(timeline, "deploy", "", at))
        # The event API's deploy starts after the load (the line may arrive a moment later).
        current = timeline.current
        deploy = current.phase("deploy") if current is not None else None
        end = min(at, deploy.start) if deploy is not None else at
        return replace(state, timeline=tl.phase_ended(timeline, "load", "", end))
    if kind == "tag":
        rows = upsert(state.deploy.tags, signal.subject, (signal.subject, signal.detail))
        return with_deploy(state, tags=cast(tuple[tuple[str, str], ...], rows))
    if kind == "error" and state.deploy.channel not in ("", "log"):
        return replace(state, deploy=add_error(state.deploy, signal.detail))
    return state


_LOG_PHASES = {
    "deploy-start": ("deploy", False),
    "stabilizing": ("deploy", True),
}


def log_signal(state: State, signal: SkaffoldSignal, at: float) -> State:
    """The fallback: a line read as progress (deploy state) and as the timeline's phases."""
    kind, subject = signal.kind, signal.subject
    if kind == "tags":
        return begin_iteration(state, state.deploy.iteration, at, first=state.deploy.iteration == 0)
    state = replace(state, deploy=apply_signal(state.deploy, signal))
    timeline = state.timeline
    if kind == "cache":
        if not subject:
            timeline = tl.phase_started(timeline, "cache", "", at)
        else:
            timeline = tl.phase_ended(timeline, "cache", "", at)
            if signal.detail.startswith("Not found"):
                timeline = tl.cache_missed(timeline, subject)
    elif kind == "build-start":
        timeline = tl.phase_started(timeline, "build", subject, at)
    elif kind in ("build-done", "build-failed"):
        ok = kind == "build-done"
        timeline = tl.phase_ended(timeline, "build", subject, at, ok, "" if ok else signal.detail)
    elif kind in _LOG_PHASES:
        phase, end = _LOG_PHASES[kind]
        timeline = (
            tl.phase_ended(timeline, phase, "", at) if end else tl.phase_started(timeline, phase, "", at)
        )
    state = replace(state, timeline=timeline)
    if kind in ("status-failed", "build-failed"):
        return replace(state, timeline=tl.ended(state.timeline, at, False, signal.detail))
    return state


@on(ev.StackRemoved)
def _removed(state: State, event: ev.StackRemoved) -> State:
    return stack_removed(state, event.detail)
