"""A one-line question (`e`: the command to run in a pod)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input


class PromptScreen(ModalScreen[str | None]):
    """Dismisses with the typed text on enter, None on escape."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; background: $background 60%; }
    PromptScreen #prompt-box { width: 70; height: auto; border: round $accent; background: $surface; }
    PromptScreen Input { border: none; height: 1; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        """A titled input."""
        with Vertical(id="prompt-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "enter runs, escape cancels"
            yield Input(placeholder=self.placeholder)

    def on_mount(self) -> None:
        """Type at once."""
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """The answer."""
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """No answer."""
        self.dismiss(None)
