"""The pure function that turns (state, event) into the next state."""

from __future__ import annotations

from devstack.core import (
    reduce_deploy,
    reduce_devloop,
    reduce_forward,
    reduce_kube,
    reduce_steps,
    reduce_tilt,
)
from devstack.core.events import Event
from devstack.core.handlers import Handler
from devstack.core.state import State

_HANDLERS: dict[type[Event], Handler] = {}
for _table in (
    reduce_steps.table,
    reduce_kube.table,
    reduce_deploy.table,
    reduce_devloop.table,
    reduce_forward.table,
    reduce_tilt.table,
):
    overlap = _HANDLERS.keys() & _table.handlers.keys()
    if overlap:
        raise ValueError(f"two reducers for {sorted(k.__name__ for k in overlap)}")
    _HANDLERS.update(_table.handlers)


def reduce(state: State, event: Event) -> State:
    """Return the state after `event`. Unknown events leave the state unchanged."""
    handler = _HANDLERS.get(type(event))
    return handler(state, event) if handler is not None else state
