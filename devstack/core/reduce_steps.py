"""Reducers for the session, pipeline steps and doctor results."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from devstack.core import events as ev
from devstack.core.handlers import HandlerTable
from devstack.core.model import StepState, StepStatus
from devstack.core.state import State

table = HandlerTable()
on = table.on


@on(ev.SessionStarted)
def _session(state: State, event: ev.SessionStarted) -> State:
    return State(
        command=event.command,
        profile=event.profile,
        context=event.context,
        steps=tuple(StepState(name) for name in event.steps),
        plan=event.plan,
    )


def _update_step(state: State, name: str, change: Callable[[StepState], StepState]) -> State:
    steps = list(state.steps)
    for index, step in enumerate(steps):
        if step.name == name:
            steps[index] = change(step)
            break
    else:
        steps.append(change(StepState(name)))
    return replace(state, steps=tuple(steps))


@on(ev.StepStarted)
def _step_started(state: State, event: ev.StepStarted) -> State:
    return _update_step(
        state,
        event.step,
        lambda s: replace(s, status=StepStatus.RUNNING, started_at=event.at, message="", error=""),
    )


@on(ev.StepProgress)
def _step_progress(state: State, event: ev.StepProgress) -> State:
    return _update_step(state, event.step, lambda s: replace(s, message=event.message))


@on(ev.StepFinished)
def _step_finished(state: State, event: ev.StepFinished) -> State:
    return _update_step(
        state,
        event.step,
        lambda s: replace(s, status=StepStatus.OK, finished_at=event.at, message=event.detail or s.message),
    )


@on(ev.StepSkipped)
def _step_skipped(state: State, event: ev.StepSkipped) -> State:
    return _update_step(
        state,
        event.step,
        lambda s: replace(s, status=StepStatus.SKIPPED, finished_at=event.at, message=event.reason),
    )


@on(ev.StepFailed)
def _step_failed(state: State, event: ev.StepFailed) -> State:
    return _update_step(
        state,
        event.step,
        lambda s: replace(
            s, status=StepStatus.FAILED, finished_at=event.at, error=event.error, fix=event.fix
        ),
    )


@on(ev.DoctorChecked)
def _doctor_checked(state: State, event: ev.DoctorChecked) -> State:
    others = tuple(c for c in state.doctor if c.name != event.check.name)
    return replace(state, doctor=(*others, event.check))
