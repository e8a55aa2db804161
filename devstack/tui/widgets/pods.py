"""The Pods pane: name, ready n/m, status or reason, restarts, age — red when unhealthy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.core.sorting import SortFields
from devstack.tui.format import age, age_changes_in, coloured, level_mark, parse_time
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats, plain

SEVERITY = {"error": 3, "warning": 2, "progressing": 1, "pending": 1}

if TYPE_CHECKING:
    from devstack.core.health import Explanation
    from devstack.core.kube import PodInfo
    from devstack.tui.frames import Frame


class _Entry:
    """One pod's cells; the row tuple is rebuilt only when the age text changes."""

    __slots__ = ("_age", "_row", "cells", "created", "pod", "verdict")

    def __init__(self, pod: PodInfo, verdict: Explanation, cells: Cells, created: float | None) -> None:
        self.pod = pod
        self.verdict = verdict
        self.cells = cells
        self.created = created
        self._age = ""
        self._row: Cells = ()

    @property
    def last(self) -> Cells:
        """The row as last shown."""
        return self._row

    def row(self, now: float) -> Cells:
        """The cells plus the age at `now` (the same tuple while the age text is the same)."""
        text = age(now - self.created if self.created is not None else None)
        if text != self._age or not self._row:
            self._age = text
            self._row = (*self.cells, text)
        return self._row


class PodsPane(KeyedTable):
    """Every pod of the namespace, sorted by name; `enter` explains the selected one."""

    BORDER_TITLE = "Pods"
    SORTABLE = ("name", "status", "age", "restarts")
    COLUMNS = (
        ("mark", " "),
        ("name", "NAME"),
        ("ready", "READY"),
        ("status", "STATUS"),
        ("restarts", "RESTARTS"),
        ("age", "AGE"),
    )
    FLEX = ("name",)
    RIGHT = ("restarts", "age")

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._entries: dict[str, _Entry] = {}
        self._sort_cache: tuple[frozenset[str], list[str]] = (frozenset(), [])

    def show(self, frame: Frame) -> SyncStats:
        """Sync the rows with the frame's pods.

        A row's tuple is reused as long as its pod, verdict and age text are the same, so the
        table compares thousands of unchanged rows by identity; ages are brought up to date
        for the rows on screen only (the others when they scroll into view, at the next
        repaint); the order is only re-sorted when pods came or went.
        """
        rows: dict[str, Cells] = {}
        entries: dict[str, _Entry] = {}
        visible = self.visible_keys()
        for key, pod in frame.state.pods.items():
            verdict = frame.pods[key]
            entry = self._entries.get(key)
            if entry is None or entry.pod is not pod or entry.verdict is not verdict:
                entry = _Entry(pod, verdict, self._cells(pod, verdict), parse_time(pod.created))
                rows[key] = entry.row(frame.now)
            else:  # ages tick for every row: only the rows on screen get the new one
                rows[key] = entry.row(frame.now) if key in visible else entry.last
            entries[key] = entry
        self._entries = entries
        stats = self.sync(rows, self._sorted(frame))
        bad = sum(1 for v in frame.pods.values() if v.level.value == "error")
        self.border_subtitle = f"{len(rows)} pods" + (f", {bad} failing" if bad else "")
        return stats

    def next_age_change(self, now: float) -> float | None:
        """Seconds until an age on screen shows another text (None: no age on screen)."""
        delays = [
            age_changes_in(now - entry.created)
            for key in self.visible_keys(margin=0)
            if (entry := self._entries.get(key)) is not None and entry.created is not None
        ]
        return min((d for d in delays if d is not None), default=None)

    def _sorted(self, frame: Frame) -> list[str]:
        if self.ordering.column:
            fields = {
                key: SortFields(
                    entry.pod.name,
                    plain(entry.cells[3]),
                    SEVERITY.get(entry.verdict.level.value, 0),
                    entry.created,
                    entry.pod.restarts,
                )
                for key, entry in self._entries.items()
            }
            return self.sorted_order(fields)
        keys, order = self._sort_cache
        if len(keys) != len(frame.state.pods) or not keys.issuperset(frame.state.pods.keys()):
            pods = frame.state.pods
            order = sorted(pods, key=lambda k: (pods[k].name, k))
            self._sort_cache = (frozenset(order), order)
        return order

    @staticmethod
    def _cells(pod: PodInfo, verdict: Explanation) -> Cells:
        ready, total = pod.ready_count
        status = pod.phase if verdict.level.value == "ok" else verdict.reason
        level = verdict.level.value
        restarts = Text(str(pod.restarts), style="yellow" if pod.restarts else "")
        return (
            level_mark(verdict.level),
            Text(pod.name),
            coloured(f"{ready}/{total}", "ok" if ready == total and total else level),
            coloured(status, level),
            restarts,
        )
