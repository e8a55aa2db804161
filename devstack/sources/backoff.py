"""Retry delays that start small, double, cap, and reset after a healthy stretch (as Tilt does)."""

from __future__ import annotations

import random


class Backoff:
    """Exponential back-off with a little jitter."""

    def __init__(self, initial: float = 0.25, cap: float = 8.0, jitter: float = 0.1):
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
        self._next = initial

    def next(self) -> float:
        """The delay to wait now; the following one doubles (up to the cap)."""
        delay = self._next
        self._next = min(self._next * 2, self.cap)
        return delay * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        """Back to the initial delay (after a success)."""
        self._next = self.initial
