"""`v` in a Secret's YAML: pick the key whose value to show (or hide again)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class KeyPicker(ModalScreen[str | None]):
    """The Secret's keys; shown ones are marked. Dismisses with the key, or None on escape."""

    DEFAULT_CSS = """
    KeyPicker { align: center middle; background: $background 60%; }
    #secret-keys { width: 60; height: auto; max-height: 80%; border: round $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, keys: list[str], shown: frozenset[str]) -> None:
        super().__init__()
        self.keys = keys
        self.shown = shown

    def compose(self) -> ComposeResult:
        """One option per key."""
        options = [
            Option(f"{key}{'  (shown: picks hides it)' if key in self.shown else ''}", id=key)
            for key in self.keys
        ]
        picker = OptionList(*options, id="secret-keys")
        picker.border_title = "Show the value of"
        picker.border_subtitle = "enter picks, escape cancels"
        yield picker

    def on_mount(self) -> None:
        """Focus the list."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A key was picked."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Nothing shown or hidden."""
        self.dismiss(None)
