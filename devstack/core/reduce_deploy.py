"""Reducers for the deploy tool: its output lines become phase, iteration and rollout progress."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from devstack.core import events as ev
from devstack.core.deploy import MAX_ERRORS, MAX_LINES, DeployState, upsert
from devstack.core.derive import redeploy_steps, stack_removed
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
    deploy = DeployState(tool=event.tool, mode=event.mode, command=event.command, started_at=event.at)
    return replace(state, deploy=deploy)


@on(ev.DeployOutput)
def _output(state: State, event: ev.DeployOutput) -> State:
    line = strip_ansi(event.line)
    deploy = replace(state.deploy, lines=(*state.deploy.lines, line)[-MAX_LINES:])
    signal = parse_skaffold_line(line)
    if signal is None:
        return replace(state, deploy=deploy)
    return redeploy_steps(replace(state, deploy=apply_signal(deploy, signal)), state.deploy.phase)


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
    return replace(state, deploy=replace(state.deploy, exit_code=event.code, phase=phase))


@on(ev.StackRemoved)
def _removed(state: State, event: ev.StackRemoved) -> State:
    return stack_removed(state, event.detail)
