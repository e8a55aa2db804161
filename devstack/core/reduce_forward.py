"""Reducers for port forwards and checks."""

from __future__ import annotations

from dataclasses import replace

from devstack.core import events as ev
from devstack.core.derive import checks_step, close_forwards
from devstack.core.handlers import HandlerTable
from devstack.core.state import State

table = HandlerTable()
on = table.on


@on(ev.ForwardChanged)
def _forward(state: State, event: ev.ForwardChanged) -> State:
    forwards = dict(state.forwards)
    forwards[event.forward.name] = event.forward
    return replace(state, forwards=forwards)


@on(ev.ForwardsClosed)
def _forwards_closed(state: State, event: ev.ForwardsClosed) -> State:
    return close_forwards(state, event.names)


@on(ev.ChecksStarted)
def _checks_started(state: State, event: ev.ChecksStarted) -> State:
    return replace(state, checks_running=event.names)


@on(ev.CheckReported)
def _check(state: State, event: ev.CheckReported) -> State:
    others = tuple(c for c in state.checks if c.name != event.result.name)
    running = tuple(n for n in state.checks_running if n != event.result.name)
    return checks_step(replace(state, checks=(*others, event.result), checks_running=running), event.at)
