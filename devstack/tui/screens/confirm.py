"""A yes/no question (down, delete pod, quit while the dev loop runs, switch profile)."""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType], Generic[ResultType]):
    """A small centred box with a bold question: the look the confirm and busy screens share."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
    }
    #dialog {
        width: 60;
        max-width: 95%;
        height: auto;
        border: round $warning;
        padding: 1 2;
        background: $surface;
    }
    #question {
        text-style: bold;
    }
    """


class ConfirmScreen(Dialog[bool]):
    """Dismisses with True (`y`, enter on Yes) or False (`n`, escape)."""

    DEFAULT_CSS = """
    #dialog-detail {
        margin-top: 1;
    }
    #buttons {
        height: auto;
        margin-top: 1;
        align: center middle;
    }
    #buttons Button {
        margin: 0 2;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "Cancel", show=False),
    ]

    def __init__(self, question: str, detail: str = "", yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes

    def compose(self) -> ComposeResult:
        """The question, what it will do, and two buttons."""
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            if self.detail:
                yield Static(self.detail, id="dialog-detail")
            with Horizontal(id="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        """Focus No: the safe answer."""
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """A button answers."""
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        """A key answers."""
        self.dismiss(answer)


class BusyScreen(Dialog[None]):
    """A message while something that cannot be interrupted finishes (stopping the dev loop)."""

    DEFAULT_CSS = """
    """

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        """The message in a box."""
        with Vertical(id="dialog"):
            yield Static(self.message, id="question")
