"""The Events pane: Kubernetes events, warnings first, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import age, coloured, mark, parse_time
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.core.kube import KubeEventInfo
    from devstack.tui.frames import Frame


MAX_ROWS = 300


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

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the state's events."""
        events = frame.state.kube_events
        if events is not self._source:
            newest = sorted(events.values(), key=lambda e: e.last_seen, reverse=True)
            self._ordered = sorted(newest, key=lambda e: not e.warning)[:MAX_ROWS]
            self._source = events
        rows: dict[str, Cells] = {}
        for event in self._ordered:
            seen = parse_time(event.last_seen)
            status = "warning" if event.warning else "pending"
            count = f" (x{event.count})" if event.count > 1 else ""
            rows[event.key] = (
                mark(status),
                Text(age(frame.now - seen if seen is not None else None)),
                Text(f"{event.object_kind.lower()}/{event.object_name}"),
                coloured(event.reason, status),
                Text(event.message + count),
            )
        from devstack.core.explain import headline_warnings

        warnings = len(headline_warnings(frame.state))  # gone objects and start-up probes aged out
        self.border_subtitle = f"{warnings} warning(s)" if warnings else ""
        return self.sync(rows, [e.key for e in self._ordered])
