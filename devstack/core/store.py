"""The store: applies events in order and tells subscribers about each new state, off the
dispatching thread.

`dispatch` reduces the event under the store's lock and queues `(state, event)` for every
subscriber; it never runs subscriber code. Each subscriber has its own delivery thread (as Tilt's
store notifies each subscriber on its own goroutine), so a slow one (crash-log fetching, a view)
never holds up a watch thread, the forwarder's event loop, or the other subscribers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from devstack.core.events import Event
from devstack.core.reducer import reduce
from devstack.core.state import State

Subscriber = Callable[[State, Event], None]


class _Subscription:
    """One subscriber and its delivery thread (started on the first delivery)."""

    def __init__(self, subscriber: Subscriber, latest_only: bool):
        self.subscriber = subscriber
        self.latest_only = latest_only
        self._queue: deque[tuple[State, Event]] = deque()
        self._ready = threading.Condition()
        self._busy = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def offer(self, state: State, event: Event) -> None:
        """Queue one delivery (collapsed to the newest when `latest_only`)."""
        with self._ready:
            if self._closed:
                return
            if self.latest_only:
                self._queue.clear()
            self._queue.append((state, event))
            if self._thread is None:
                name = f"store-{getattr(self.subscriber, '__name__', type(self.subscriber).__name__)}"
                self._thread = threading.Thread(target=self._deliver, name=name, daemon=True)
                self._thread.start()
            self._ready.notify()

    def _deliver(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if self._closed:
                    return
                state, event = self._queue.popleft()
                self._busy = True
            try:
                self.subscriber(state, event)
            finally:
                with self._ready:
                    self._busy = False
                    self._ready.notify_all()

    def idle(self, deadline: float) -> bool:
        """Wait until everything queued was delivered (or the deadline passed)."""
        if self._thread is threading.current_thread():
            return True  # a subscriber flushing the store cannot wait for itself
        with self._ready:
            while (self._queue or self._busy) and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ready.wait(left)
            return True

    def close(self) -> None:
        """Deliver nothing more."""
        with self._ready:
            self._closed = True
            self._queue.clear()
            self._ready.notify_all()


class Store:
    """Holds the current `State`; `dispatch` is safe to call from any thread.

    Events are reduced strictly in the order they were dispatched. Every subscriber sees every
    event (or, with `latest_only`, at least the newest) in that order, on its own thread.
    """

    def __init__(self, state: State | None = None):
        self._state = state or State()
        self._lock = threading.Lock()
        self._subscriptions: list[_Subscription] = []
        self._dispatched = 0

    @property
    def state(self) -> State:
        """The current state (immutable; safe to read from any thread)."""
        return self._state

    def subscribe(self, subscriber: Subscriber, *, latest_only: bool = False) -> Callable[[], None]:
        """Call `subscriber(state, event)` after every event, on a thread of its own.

        With `latest_only`, deliveries not yet made are replaced by the newest one (for
        subscribers that only look at the state). Returns an unsubscribe function.
        """
        subscription = _Subscription(subscriber, latest_only)
        with self._lock:
            self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            with self._lock:
                if subscription in self._subscriptions:
                    self._subscriptions.remove(subscription)
            subscription.close()

        return unsubscribe

    def dispatch(self, event: Event) -> State:
        """Apply `event`; returns the state after it. Subscribers are notified later."""
        with self._lock:
            self._state = state = reduce(self._state, event)
            self._dispatched += 1
            for subscription in self._subscriptions:
                subscription.offer(state, event)
        return state

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every subscriber has seen every event dispatched so far, including events
        the subscribers dispatched meanwhile (False on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                subscriptions = tuple(self._subscriptions)
                seen = self._dispatched
            if not all(s.idle(deadline) for s in subscriptions):
                return False
            with self._lock:
                if self._dispatched == seen:
                    return True
