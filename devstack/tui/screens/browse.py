"""The kind browser: every object of one kind in one namespace of the allowed context, live.

Opened with `:` and a kind's name. `enter` describes the selected object (on a namespace: browse
that namespace instead — the one namespace switcher, `:ns`); `i`, `y`, `s`, `L` and the sort keys
work as on the dashboard; escape returns to it and stops the browser's watch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from devstack.core.kinds import BY_PLURAL
from devstack.tui.objects import ObjectRef, ref_of_key
from devstack.tui.widgets.browse import BrowseTable

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


class BrowseScreen(Screen[None]):
    """One kind, one namespace; re-rendered from `State.browse` on every repaint."""

    DEFAULT_CSS = """
    BrowseScreen #browse-title { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    BrowseScreen #browse { height: 1fr; border: round $accent; }
    BrowseScreen #browse-keys { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Back")]

    def __init__(self, kind: str, namespace: str) -> None:
        super().__init__()
        self.kind = kind
        self.namespace = namespace
        self.last_kind = kind if kind != "namespaces" else "pods"

    def compose(self) -> ComposeResult:
        """Title, the table, the keys."""
        yield Static(id="browse-title")
        yield BrowseTable(self.kind, id="browse")
        yield Static(
            Text("escape back · enter describe (namespaces: switch) · : kind · i y s L · N S A R sort"),
            id="browse-keys",
        )

    def on_mount(self) -> None:
        """Start the browser's watch; the table has the focus."""
        self.table.focus()
        self._title(None)
        self._watch()

    @property
    def table(self) -> BrowseTable:
        """The browser's table."""
        return self.query_one("#browse", BrowseTable)

    def _watch(self) -> None:
        app: Any = self.app
        kind, namespace = self.kind, self.namespace
        app.work("browse", lambda: app.session.start_browse(kind, namespace))

    def switch(self, kind: str, namespace: str | None = None) -> None:
        """Show another kind (and/or namespace); its watch replaces the current one."""
        self.kind = kind
        if kind != "namespaces":
            self.last_kind = kind
        self.namespace = namespace or self.namespace
        self.table.set_kind(kind)
        self._title(None)
        self._watch()

    def show(self, frame: Frame) -> None:
        """Repaint the table from a frame (nothing while the screen is being taken down)."""
        tables = self.query(BrowseTable)
        if not tables or not self.query("#browse-title"):
            return
        tables.first().show(frame)
        self._title(frame)

    def _title(self, frame: Frame | None) -> None:
        spec = BY_PLURAL[self.kind]
        where = "all namespaces (cluster-scoped)" if not spec.namespaced else f"namespace {self.namespace}"
        count = ""
        if frame is not None and frame.state.browse.kind == self.kind:
            count = f" · {len(frame.state.browse.items)}" if frame.state.browse.synced else " · listing…"
        ordering = self.table.ordering
        sort = f" · sort: {ordering.column} {ordering.arrow}" if ordering.column else ""
        self.query_one("#browse-title", Static).update(Text(f"{spec.kind}s in {where}{count}{sort}"))

    def selected_ref(self) -> ObjectRef | None:
        """The object under the cursor."""
        key = self.table.selected_key
        if key is None:
            return None
        ref = ref_of_key(self.kind, key)
        return (
            ref
            if ref.namespace or not BY_PLURAL[self.kind].namespaced
            else ObjectRef(self.kind, self.namespace, key)
        )

    def on_data_table_row_selected(self, event: Any) -> None:
        """enter: describe it; on a namespace, browse that namespace."""
        event.stop()
        ref = self.selected_ref()
        if ref is None:
            return
        if self.kind == "namespaces":
            self.switch(self.last_kind, ref.name)
            return
        app: Any = self.app
        app.open_inspect(ref, "describe")

    def action_close(self) -> None:
        """Back to the dashboard; the watch stops."""
        app: Any = self.app
        app.work("browse-stop", app.session.stop_browse)
        self.dismiss(None)
