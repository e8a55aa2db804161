"""A coalescing work queue: a key added many times before it runs is reconciled once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

log = logging.getLogger(__name__)

_SLICE_SECONDS = 0.01  # hand the loop back after this long, so the API stays responsive
_RETRY_SECONDS = 1.0


class WorkQueue(Generic[K]):
    """Keys waiting to be reconciled by a synchronous handler on the event loop.

    Adding a key that is already waiting does nothing; the handler runs for each waiting key at
    most once per batch. A batch runs `delay` seconds after its first key arrived (0: next tick)
    and yields the loop after `_SLICE_SECONDS`, leaving the rest for the next tick.
    """

    def __init__(self, name: str, handler: Callable[[K], None], delay: float = 0.0):
        self.name = name
        self._handler = handler
        self._delay = delay
        self._pending: dict[K, None] = {}
        self._handle: asyncio.Handle | asyncio.TimerHandle | None = None
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, key: K) -> None:
        """Reconcile `key` soon (once, however often it is added before then)."""
        if self._closed:
            return
        self._pending[key] = None
        if self._handle is None:
            loop = asyncio.get_running_loop()
            if self._delay > 0:
                self._handle = loop.call_later(self._delay, self._run)
            else:
                self._handle = loop.call_soon(self._run)

    def add_after(self, key: K, delay: float) -> None:
        """Reconcile `key` after `delay` seconds (e.g. a deadline or minReadySeconds)."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None

        def fire() -> None:
            if timer is not None:
                self._timers.discard(timer)
            self.add(key)

        timer = loop.call_later(max(delay, 0.0), fire)
        self._timers.add(timer)

    def close(self) -> None:
        """Drop waiting keys and timers; later adds are ignored."""
        self._closed = True
        self._pending.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def _run(self) -> None:
        self._handle = None
        started = time.monotonic()
        while self._pending and not self._closed:
            key = next(iter(self._pending))
            del self._pending[key]
            try:
                self._handler(key)
            except Exception:
                log.exception("%s: reconciling %r failed; retrying in %.0fs", self.name, key, _RETRY_SECONDS)
                self.add_after(key, _RETRY_SECONDS)
            if time.monotonic() - started > _SLICE_SECONDS:
                break
        if self._pending and self._handle is None and not self._closed:
            self._handle = asyncio.get_running_loop().call_soon(self._run)
