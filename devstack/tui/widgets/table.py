"""`KeyedTable`: a DataTable updated in place by row key — add, update changed cells, remove.

Clearing and re-adding rows is 14–20x slower at 5,000 rows and loses the cursor, so a pane hands
`sync` the rows it wants (key → cells) in the order it wants, and the table applies the
difference: new rows are added, changed cells updated one by one, vanished rows removed, and the
order is only rewritten when it changed. The cursor stays on the same row key.

Columns fit the pane: when the content is wider than the pane, the `FLEX` columns (names,
messages) give way and their cells end in an ellipsis, so the others — AGE, right-aligned in
`RIGHT` — are never clipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import RenderableType
from rich.markup import escape
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellKey, ColumnKey, RowKey

from devstack.core.sorting import Sort, SortFields, sorted_keys
from devstack.tui.messages import PaneReady

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


Cells = tuple[RenderableType, ...]
MIN_FLEX = 8
"""The narrowest a FLEX column gets (below that the pane scrolls sideways)."""


@dataclass
class SyncStats:
    """What one `sync` did."""

    added: int = 0
    updated_cells: int = 0
    removed: int = 0
    reordered: bool = False


def plain(cell: RenderableType) -> str:
    """The text of a cell (for filtering and sorting)."""
    return cell.plain if isinstance(cell, Text) else str(cell)


def fit_widths(natural: Mapping[str, int], flex: Sequence[str], room: int) -> dict[str, int] | None:
    """Column widths that fit `room` cells, or None when every column fits as it is.

    Only the `flex` columns give way, the widest first: each gets its natural width or an equal
    share of what the narrower ones left, whichever is less (never below `MIN_FLEX`).
    """
    if sum(natural.values()) <= room or not flex:
        return None
    left = room - sum(width for key, width in natural.items() if key not in flex)
    widths = dict(natural)
    ordered = sorted(flex, key=lambda key: natural[key])
    for index, key in enumerate(ordered):
        share = left // (len(ordered) - index)
        widths[key] = max(min(natural[key], share), min(MIN_FLEX, natural[key]))
        left -= widths[key]
    return widths


class KeyedTable(DataTable[Any]):
    """A pane's table: rows keyed by object key; `COLUMNS` are (column key, label), `BORDER_TITLE`
    its title; `FLEX` columns give way when the pane is too narrow, `RIGHT` ones are right-aligned."""

    COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()
    SORTABLE: ClassVar[tuple[str, ...]] = ()
    """The columns (of `core.sorting.SORT_COLUMNS`) the sort keys can order this pane by."""
    FLEX: ClassVar[tuple[str, ...]] = ()
    RIGHT: ClassVar[tuple[str, ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "First row", show=False),
        Binding("G", "scroll_bottom", "Last row", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(cursor_type="row", id=id, classes=classes)
        self._rows: dict[str, Cells] = {}
        self._order: list[str] = []
        self._columns_ready = False
        self.filter_text = ""
        self.totals = SyncStats()
        self.ordering = Sort()

    def show(self, frame: Frame) -> SyncStats:
        """Repaint from a frame (each pane builds its rows and calls `sync`)."""
        raise NotImplementedError

    def next_age_change(self, now: float) -> float | None:
        """Seconds until a cell on screen shows another text by itself (ages); None: never."""
        return None

    @property
    def column_spec(self) -> tuple[tuple[str, str], ...]:
        """(column key, label) of each column (`COLUMNS` unless a table changes its columns)."""
        return self.COLUMNS

    def on_mount(self) -> None:
        """Add the columns; tell the screen."""
        self._ensure_columns()
        self.post_message(PaneReady())

    def _ensure_columns(self) -> None:
        if not self._columns_ready:
            for key, label in self.column_spec:
                self.add_column(self._header(key, label), key=key)
            self._columns_ready = True

    def _header(self, column: str, label: str) -> Text:
        """A column's header: its label, the sort arrow when sorted by it, right-aligned for RIGHT."""
        shown = f"{label} {self.ordering.arrow}" if column == self.ordering.column else label
        return Text(shown, justify="right" if column in self.RIGHT else "left")

    def _shaped(self, column: str, cell: RenderableType) -> RenderableType:
        """A cell as its column shows it: FLEX cells end in an ellipsis, RIGHT cells right-aligned."""
        if column not in self.FLEX and column not in self.RIGHT:
            return cell
        text = Text(cell) if isinstance(cell, str) else cell
        if isinstance(text, Text):
            if column in self.FLEX:
                text.no_wrap = True
                text.overflow = "ellipsis"
            else:
                text.justify = "right"
        return text

    def _fit_columns(self) -> bool:
        """Fit the columns to the pane's width; True when a width changed."""
        if not self.columns:
            return False
        pad = 2 * self.cell_padding
        natural = {str(c.key.value): c.content_width for c in self.ordered_columns}
        # The vertical scrollbar's cells are kept free: it comes and goes with the rows.
        room = self.size.width - self.styles.scrollbar_size_vertical - pad * len(natural)
        widths = fit_widths(natural, self.FLEX, room) if room > 0 else None
        changed = False
        for column in self.ordered_columns:
            key = str(column.key.value)
            auto = widths is None or key not in self.FLEX
            width = column.content_width if auto else widths[key]  # type: ignore[index]
            if (column.auto_width, column.width) != (auto, width):
                column.auto_width, column.width = auto, width
                changed = True
        return changed

    def on_resize(self, _event: events.Resize) -> None:
        """Fit the columns to the new width."""
        if self._fit_columns():
            super()._update_dimensions(())
            self._update_count += 1
            self.refresh()

    @property
    def keys(self) -> list[str]:
        """Row keys in display order."""
        return list(self._order)

    @property
    def selected_key(self) -> str | None:
        """The row key under the cursor (None when the table is empty)."""
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def visible_keys(self, margin: int = 5) -> set[str]:
        """Keys of the rows on screen now (plus a few above and below)."""
        top = max(0, int(self.scroll_y) - margin)
        return set(self._order[top : top + self.size.height + 2 * margin])

    def cells(self, key: str) -> Cells | None:
        """The cells shown for a row key."""
        return self._rows.get(key)

    def matches(self, key: str, cells: Cells) -> bool:
        """Whether a row passes the filter (case-insensitive, anywhere in the row)."""
        if not self.filter_text:
            return True
        needle = self.filter_text.lower()
        return needle in key.lower() or any(needle in plain(c).lower() for c in cells)

    def sync(self, rows: Mapping[str, Cells], order: Sequence[str] | None = None) -> SyncStats:
        """Make the table show `rows` (filtered) in `order` (default: the mapping's order)."""
        self._ensure_columns()
        keys = order if order is not None else rows
        wanted_order = [k for k in keys if self.matches(k, rows[k])] if self.filter_text else list(keys)
        wanted = {k: rows[k] for k in wanted_order}
        selected = self.selected_key
        stats = SyncStats()
        for key in [k for k in self._rows if k not in wanted]:
            self.remove_row(key)
            del self._rows[key]
            stats.removed += 1
        columns = [key for key, _ in self.column_spec]
        changed_rows: list[str] = []
        for key, cells in wanted.items():
            shown = self._rows.get(key)
            if shown is cells:
                continue
            if shown is None:
                self.add_row(
                    *(self._shaped(c, cell) for c, cell in zip(columns, cells, strict=True)), key=key
                )
                stats.added += 1
            elif shown != cells:
                for column, old, new in zip(columns, shown, cells, strict=True):
                    if old != new:
                        shaped = self._shaped(column, new)
                        if self._widens(column, new):
                            self.update_cell(key, column, shaped, update_width=True)
                        else:
                            self._data[RowKey(key)][ColumnKey(column)] = shaped
                            changed_rows.append(key)
                        stats.updated_cells += 1
            self._rows[key] = cells
        before = set(self._order)
        current = [k for k in self._order if k in wanted] + [k for k in wanted if k not in before]
        if current != wanted_order:
            self._apply_order(wanted_order)
            stats.reordered = True
        self._order = wanted_order
        if changed_rows:
            self._repaint_rows(changed_rows)
        self._keep_cursor(selected)
        self.totals.added += stats.added
        self.totals.removed += stats.removed
        self.totals.updated_cells += stats.updated_cells
        return stats

    def _repaint_rows(self, keys: list[str]) -> None:
        """Repaint only these rows (cells changed in place, no column got wider).

        `DataTable.update_cell` bumps the table's update count, which throws away the render of
        every row, recomputes every row's offset and repaints the whole table: an age ticking in
        one row re-rendered them all, every second. Here only the render caches are dropped
        (rows re-render when next shown) and only the changed rows' lines are refreshed.
        """
        for cache in (
            self._row_render_cache,
            self._cell_render_cache,
            self._row_renderable_cache,
            self._line_cache,
        ):
            cache.clear()  # not the row offsets and order: they did not change
        if len(keys) > self.size.height:
            self.refresh()
            return
        for key in keys:
            index = self._row_locations.get(RowKey(key))
            if index is not None:
                self.refresh_row(index)

    def _widens(self, column: str, cell: RenderableType) -> bool:
        """Whether a new cell is wider than its column (only then is the column re-measured).

        DataTable re-measures every cell of a column when an updated cell got narrower; with
        ages ticking in thousands of rows that is most of the main thread's time.
        """
        width = cell.cell_len if isinstance(cell, Text) else len(str(cell))
        return width > self.columns[ColumnKey(column)].content_width

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Measure new rows, then drop row renders cached with the old column widths.

        DataTable measures new rows when idle; rows rendered before that are cached under the
        current `_update_count`, which it does not bump here, so they kept the old widths.
        """
        super()._update_dimensions(new_rows)
        if self._fit_columns():
            super()._update_dimensions(())
        self._update_count += 1
        self.refresh()

    def _update_column_widths(self, updated_cells: set[CellKey]) -> None:
        """As `_update_dimensions`, for cells updated with `update_width=True`."""
        super()._update_column_widths(updated_cells)
        self._update_count += 1
        self.refresh()

    def _apply_order(self, order: list[str]) -> None:
        """Rewrite the row order in place (what `DataTable.sort` does, with our own order)."""
        self._row_locations = type(self._row_locations)(
            {RowKey(key): index for index, key in enumerate(order)}
        )
        self._update_count += 1
        self.refresh()

    def _keep_cursor(self, selected: str | None) -> None:
        if selected is None or selected not in self._rows:
            return
        index = self._order.index(selected)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=False)

    @property
    def sortable(self) -> tuple[str, ...]:
        """The columns the sort keys can order this table by."""
        return self.SORTABLE

    def reset(self) -> None:
        """Drop every row and column (the next `sync` adds the columns of `column_spec` again)."""
        self.clear(columns=True)
        self._rows.clear()
        self._order.clear()
        self._columns_ready = False
        self.ordering = Sort()

    def set_sort(self, column: str) -> bool:
        """Sort by `column` (again: the other way); False when this pane has no such column.

        The column's header shows the direction (`RESTARTS ↓`); the pane re-orders on its next repaint.
        """
        if column not in self.sortable:
            return False
        self.ordering = self.ordering.pressed(column)
        self._ensure_columns()
        for key, label in self.column_spec:
            shown = self._header(key, label)
            entry = self.columns[ColumnKey(key)]
            entry.label = shown
            entry.content_width = max(entry.content_width, shown.cell_len)
        self._update_count += 1
        self.refresh()
        return True

    def sorted_order(self, fields: Mapping[str, SortFields]) -> list[str]:
        """Row keys in the pane's sort order (by name until a sort key was pressed)."""
        return sorted_keys(fields, self.ordering)

    async def action_clear_filter(self) -> None:
        """escape: clear this pane's filter; with none set, the key goes on to the screen (back)."""
        if not self.filter_text:
            raise SkipAction()
        await self.app.run_action("clear_filter")

    def set_filter(self, text: str) -> None:
        """Change the filter (the pane re-syncs on its next repaint)."""
        self.filter_text = text
        base = str(self.border_title or "").split(" (filter: ", 1)[0]
        self.border_title = f"{base} (filter: {escape(text)})" if text else base
