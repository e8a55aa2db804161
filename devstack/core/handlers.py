"""A table of reducer functions keyed by event type (one table per area of the state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from devstack.core.events import Event
from devstack.core.state import State

E = TypeVar("E", bound=Event)
Handler = Callable[[State, Any], State]


class HandlerTable:
    """Maps event types to the pure functions that apply them."""

    def __init__(self) -> None:
        self.handlers: dict[type[Event], Handler] = {}

    def on(self, kind: type[E]) -> Callable[[Callable[[State, E], State]], Callable[[State, E], State]]:
        """Decorator: register the reducer of one event type."""

        def register(handler: Callable[[State, E], State]) -> Callable[[State, E], State]:
            if kind in self.handlers:
                raise ValueError(f"two reducers for {kind.__name__}")
            self.handlers[kind] = handler
            return handler

        return register
