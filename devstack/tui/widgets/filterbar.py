"""The `/` filter input: filters the pane that had focus, live, as you type."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

from devstack.tui.messages import PaneReady


class FilterBar(Input):
    """Hidden until `/`; `enter` keeps the filter, `escape` clears it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear_filter", "Clear filter", show=False)]

    class Applied(Message):
        """The filter text changed (`done`: the user finished editing)."""

        def __init__(self, text: str, done: bool) -> None:
            super().__init__()
            self.text = text
            self.done = done

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter (enter keeps it, escape clears)", id=id)
        self.target = ""

    def on_mount(self) -> None:
        """Hidden until `/`; tell the screen."""
        self.display = False
        self.post_message(PaneReady())

    def open_for(self, target: str, current: str) -> None:
        """Show the bar for the pane `target` with its current filter."""
        self.target = target
        self.value = current
        self.display = True
        self.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Filter live."""
        event.stop()
        self.post_message(self.Applied(event.value, done=False))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Keep the filter and go back to the pane."""
        event.stop()
        self.display = False
        self.post_message(self.Applied(event.value, done=True))

    def action_clear_filter(self) -> None:
        """Clear the filter and go back to the pane."""
        self.value = ""
        self.display = False
        self.post_message(self.Applied("", done=True))
