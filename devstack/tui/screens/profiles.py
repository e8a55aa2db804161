"""The `p` profile picker."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class ProfilePicker(ModalScreen[str | None]):
    """Choose a profile (dismisses with its name, or None on escape)."""

    DEFAULT_CSS = """
    ProfilePicker {
        align: center middle;
        background: $background 60%;
    }
    #profiles {
        width: 50;
        height: auto;
        max-height: 80%;
        border: round $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, profiles: list[str], current: str) -> None:
        super().__init__()
        self.profiles = profiles
        self.current = current

    def compose(self) -> ComposeResult:
        """One option per profile; the current one marked."""
        options = [
            Option(f"{name}{'  (current)' if name == self.current else ''}", id=name)
            for name in self.profiles
        ]
        picker = OptionList(*options, id="profiles")
        picker.border_title = "Switch profile"
        picker.border_subtitle = "enter picks, escape cancels"
        yield picker

    def on_mount(self) -> None:
        """Highlight the current profile."""
        picker = self.query_one(OptionList)
        if self.current in self.profiles:
            picker.highlighted = self.profiles.index(self.current)
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A profile was picked."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Keep the current profile."""
        self.dismiss(None)
