"""The Events pane: Kubernetes events, warnings first, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import age, age_changes_in, coloured, mark, parse_time
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.core.kube import KubeEventInfo
    from devstack.tui.frames import Frame


MAX_ROWS = 300


class _Row:
    """One event's cells; the row tuple is rebuilt only when its age text changes."""

    __slots__ = ("_age", "_row", "event", "head", "seen", "tail")

    def __init__(self, event: KubeEventInfo) -> None:
        self.event = event
        self.seen = parse_time(event.last_seen)
        status = "warning" if event.warning else "pending"
        count = f" (x{event.count})" if event.count > 1 else ""
        self.head = mark(status)
        self.tail = (
            Text(f"{event.object_kind.lower()}/{event.object_name}"),
            coloured(event.reason, status),
            Text(event.message + count),
        )
        self._age = ""
        self._row: Cells = ()

    def row(self, now: float) -> Cells:
        """The cells with the age at `now` (the same tuple while the age text is the same)."""
        text = age(now - self.seen if self.seen is not None else None)
        if text != self._age or not self._row:
            self._age = text
            self._row = (self.head, Text(text), *self.tail)
        return self._row


class KubeEventsPane(KeyedTable):
    """The newest events (at most `MAX_ROWS`), Warning ones on top."""

    BORDER_TITLE = "Events"
    COLUMNS = (
        ("mark", " "),
        ("age", "AGE"),
        ("object", "OBJECT"),
        ("reason", "REASON"),
        ("message", "MESSAGE"),
    )
    FLEX = ("object", "message")
    RIGHT = ("age",)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._source: object = None
        self._ordered: list[KubeEventInfo] = []
        self._cache: dict[str, _Row] = {}

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the state's events."""
        events = frame.state.kube_events
        if events is not self._source:
            newest = sorted(events.values(), key=lambda e: e.last_seen, reverse=True)
            self._ordered = sorted(newest, key=lambda e: not e.warning)[:MAX_ROWS]
            self._source = events
        rows: dict[str, Cells] = {}
        cache: dict[str, _Row] = {}
        visible = self.visible_keys()
        for event in self._ordered:
            entry = self._cache.get(event.key)
            if entry is None or entry.event is not event:
                entry = _Row(event)
                rows[event.key] = entry.row(frame.now)
            else:  # ages tick for the rows on screen only (the others when they scroll into view)
                rows[event.key] = (
                    entry.row(frame.now) if event.key in visible else self._rows_shown(entry, frame.now)
                )
            cache[event.key] = entry
        self._cache = cache
        from devstack.core.explain import headline_warnings

        warnings = len(headline_warnings(frame.state))  # gone objects and start-up probes aged out
        self.border_subtitle = f"{warnings} warning(s)" if warnings else ""
        return self.sync(rows, [e.key for e in self._ordered])

    def _rows_shown(self, entry: _Row, now: float) -> Cells:
        shown = self.cells(entry.event.key)
        return shown if shown is not None else entry.row(now)

    def next_age_change(self, now: float) -> float | None:
        """Seconds until an age on screen shows another text (None: no age on screen)."""
        delays = [
            age_changes_in(now - entry.seen)
            for key in self.visible_keys(margin=0)
            if (entry := self._cache.get(key)) is not None and entry.seen is not None
        ]
        return min((d for d in delays if d is not None), default=None)
