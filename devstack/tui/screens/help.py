"""The `?` overlay: every key and what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from devstack.tui.keys import help_rows
from devstack.tui.screens.overlay import Overlay


def help_table(frontend_url: str = "") -> Table:
    """Two columns: key, what it does (the frontend's URL from the profile)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, what in help_rows(frontend_url):
        table.add_row(key, what)
    return table


class HelpScreen(Overlay):
    """Lists every binding; any of escape, q, ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, frontend_url: str = "") -> None:
        super().__init__()
        self.frontend_url = frontend_url

    def compose(self) -> ComposeResult:
        """The key table in a scrollable box."""
        with VerticalScroll(id="help", classes="overlay-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "escape closes"
            yield Static(help_table(self.frontend_url), id="help-table")

    def action_close(self) -> None:
        """Back to where we were."""
        self.dismiss(None)
