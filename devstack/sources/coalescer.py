"""One `KubeBatch` from many watches: changes from every watch thread, batched per interval.

The first change after a quiet spell goes out at once; a burst is batched. Other events (errors,
"listed", expiries) pass through in order, after the changes queued before them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from devstack.core import events as ev

Emit = Callable[[ev.Event], object]

_WAKE = ev.Event()  # put by `Coalescer.stop` to wake its thread; never emitted


class Coalescer:
    """Collects watch changes from every thread and emits them as one `KubeBatch` per interval."""

    def __init__(self, emit: Emit, interval: float = 0.02):
        self._emit = emit
        self._interval = interval
        self._queue: queue.SimpleQueue[ev.Event] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kube-coalescer", daemon=True)

    def start(self) -> None:
        """Begin flushing."""
        self._thread.start()

    def put(self, event: ev.Event) -> None:
        """Queue an event (KubeChanged is batched; others pass through in order)."""
        self._queue.put(event)

    def stop(self) -> None:
        """Flush what is left and stop."""
        self._stop.set()
        self._queue.put(_WAKE)
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._flush()

    def _run(self) -> None:
        # The first change after a quiet spell goes out at once; under load, changes arriving
        # within `interval` of the last flush are batched together. Quiet means asleep: the
        # thread blocks on the queue (no polling); `stop` wakes it.
        while not self._stop.is_set():
            first = self._queue.get()
            if first is _WAKE:
                continue
            self._flush(first)
            self._stop.wait(self._interval)

    def _flush(self, first: ev.Event | None = None) -> None:
        changes: list[ev.KubeChanged] = []
        pending: list[ev.Event] = [first] if first is not None else []
        while True:
            if pending:
                item = pending.pop()
            else:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if item is _WAKE:
                continue
            if isinstance(item, ev.KubeChanged):
                changes.append(item)
                continue
            if changes:
                self._emit(ev.KubeBatch(tuple(changes)))
                changes = []
            self._emit(item)
        if changes:
            self._emit(ev.KubeBatch(tuple(changes)))
