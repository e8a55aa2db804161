"""The kind browser's table: one kind's objects in one namespace, from `State.browse`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.core.browse import browse_row, columns
from devstack.core.sorting import SortFields
from devstack.tui.format import age, coloured, mark
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.tui.frames import Frame

SORTABLE_KEYS = ("name", "status", "age", "restarts")


class BrowseTable(KeyedTable):
    """NAME, the kind's own columns, AGE; sortable by name, status, age and restarts where it has them."""

    def __init__(self, kind: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.kind = kind

    @property
    def column_spec(self) -> tuple[tuple[str, str], ...]:
        """The mark, NAME, this kind's columns, AGE."""
        return (("mark", " "), ("name", "NAME"), *columns(self.kind), ("age", "AGE"))

    @property
    def sortable(self) -> tuple[str, ...]:
        """The sort columns this kind has."""
        keys = {key for key, _ in self.column_spec}
        return tuple(k for k in SORTABLE_KEYS if k in keys)

    def set_kind(self, kind: str) -> None:
        """Show another kind: new columns, no rows until its watch lists them."""
        self.kind = kind
        self.reset()

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the browser's objects in the frame's state."""
        browse = frame.state.browse
        if browse.kind != self.kind:
            return self.sync({})
        rows: dict[str, Cells] = {}
        fields: dict[str, SortFields] = {}
        for key, info in browse.items.items():
            row = browse_row(self.kind, info, frame.now)
            shown_age = age(frame.now - row.fields.created if row.fields.created is not None else None)
            cells = tuple(
                coloured(c, row.level) if k == "status" else Text(c)
                for (k, _), c in zip(columns(self.kind), row.cells, strict=True)
            )
            rows[key] = (mark(row.level), Text(row.name), *cells, Text(shown_age))
            fields[key] = row.fields
        return self.sync(rows, self.sorted_order(fields))
