"""Messages that carry engine news to the UI thread (the only way widgets learn of changes)."""

from __future__ import annotations

from textual.message import Message


class StateChanged(Message):
    """The store has a newer state. Replaceable: a queue of these collapses to the newest one.

    `now` asks for a repaint without waiting for the interval (the dashboard just appeared).
    """

    def __init__(self, now: bool = False) -> None:
        super().__init__()
        self.now = now

    def can_replace(self, message: Message) -> bool:
        """A pending `StateChanged` is superseded by this one (keeping a pending `now`)."""
        return isinstance(message, StateChanged) and (self.now or not message.now)


class LogLines(Message):
    """A batch of lines of the followed pod's log (`stream` tells stale batches apart)."""

    def __init__(self, stream: int, lines: list[str]) -> None:
        super().__init__()
        self.stream = stream
        self.lines = lines


class PaneReady(Message):
    """A pane mounted (the dashboard mounts most panes after its first frame)."""
