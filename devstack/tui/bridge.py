"""Store → UI: one replaceable `StateChanged` in flight, repaints at most every `interval` seconds.

Store subscribers run on whichever thread dispatched (watch coalescer, skaffold reader, forwarder
loop, ...). The subscriber here only notes that something changed and, if no notice is pending
yet, posts ONE `StateChanged` (thread-safe `post_message`). On the UI thread `on_state_changed`
repaints at once if the last repaint is older than `interval`, or else arms a single timer for the
remainder; the repaint reads the newest state from the store. So a burst of any size costs at
most one repaint per `interval`, and the last change is always painted (trailing edge).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message_pump import MessagePump
from textual.timer import Timer

from devstack.tui.messages import StateChanged

if TYPE_CHECKING:
    from devstack.core.events import Event
    from devstack.core.state import State
    from devstack.core.store import Store


INTERVAL = 0.25


class Bridge:
    """Subscribes to a store and calls `paint(state)` on the UI thread, coalesced."""

    def __init__(
        self,
        target: MessagePump,
        store: Store,
        paint: Callable[[State], None],
        interval: float = INTERVAL,
    ):
        self._target = target
        self._store = store
        self._paint = paint
        self.interval = interval
        self._lock = threading.Lock()
        self._pending = False
        self._timer: Timer | None = None
        self._last_paint = float("-inf")
        self._unsubscribe: Callable[[], None] | None = None
        self.events = 0
        self.notices = 0
        self.repaints = 0
        self.paint_seconds = 0.0
        self.paint_max = 0.0

    def attach(self) -> None:
        """Subscribe, and paint the current state right away."""
        self._unsubscribe = self._store.subscribe(self._on_event)
        self.flush()

    def detach(self) -> None:
        """Stop listening (pending repaints are dropped)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _on_event(self, _state: State, _event: Event) -> None:
        """Store subscriber (any thread): note the change, post one notice if none is pending."""
        with self._lock:
            self.events += 1
        self.poke()

    def poke(self) -> None:
        """Ask for a repaint without a new state (ages move on): same coalescing as events."""
        with self._lock:
            if self._pending:
                return
            self._pending = True
            self.notices += 1
        self._target.post_message(StateChanged())

    def on_state_changed(self) -> None:
        """UI thread: paint now, or arm one timer for when the interval has passed."""
        wait = self._last_paint + self.interval - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = self._target.set_timer(wait, self.flush, name="repaint")

    def flush(self) -> None:
        """UI thread: paint the newest state now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        with self._lock:
            self._pending = False
        start = time.perf_counter()
        self._last_paint = time.monotonic()
        self._paint(self._store.state)
        took = time.perf_counter() - start
        self.repaints += 1
        self.paint_seconds += took
        self.paint_max = max(self.paint_max, took)
