"""The store: applies events in order and tells subscribers about each new state."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from devstack.core.events import Event
from devstack.core.reducer import reduce
from devstack.core.state import State

Subscriber = Callable[[State, Event], None]


class Store:
    """Holds the current `State`; `dispatch` is safe to call from any thread.

    Events are reduced strictly in the order they were dispatched. Subscribers run on the thread
    that dispatched, after each event, while no other event is being applied; an event dispatched
    from inside a subscriber is queued and applied right after.
    """

    def __init__(self, state: State | None = None):
        self._state = state or State()
        self._lock = threading.RLock()
        self._pending: deque[Event] = deque()
        self._draining = False
        self._subscribers: list[Subscriber] = []

    @property
    def state(self) -> State:
        """The current state (immutable; safe to read from any thread)."""
        return self._state

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(state, event)` after every event; returns an unsubscribe function."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def dispatch(self, event: Event) -> State:
        """Apply `event` (and anything queued meanwhile); returns the state after it."""
        with self._lock:
            self._pending.append(event)
            if self._draining:
                return self._state
            self._draining = True
            try:
                while self._pending:
                    current = self._pending.popleft()
                    self._state = reduce(self._state, current)
                    for subscriber in tuple(self._subscribers):
                        subscriber(self._state, current)
            finally:
                self._draining = False
            return self._state
