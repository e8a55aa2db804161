"""Messages that carry engine news to the UI thread (the only way widgets learn of changes)."""

from __future__ import annotations

from textual.message import Message


class StateChanged(Message):
    """The store has a newer state. Replaceable: a queue of these collapses to the newest one."""

    def can_replace(self, message: Message) -> bool:
        """Any pending `StateChanged` is superseded by this one."""
        return isinstance(message, StateChanged)


class LogLines(Message):
    """A batch of lines of the followed pod's log (`stream` tells stale batches apart)."""

    def __init__(self, stream: int, lines: list[str]) -> None:
        super().__init__()
        self.stream = stream
        self.lines = lines
