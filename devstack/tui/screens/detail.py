""" "Why is this red?": the explanation of one subject — sentence, evidence, fix — kept live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from devstack.core.health import Explanation
from devstack.tui.format import level_mark, style_of
from devstack.tui.frames import Frame
from devstack.tui.screens.overlay import Overlay
from devstack.tui.subjects import Subject, explain


def explanation_text(title: str, verdict: Explanation) -> Text:
    """The detail body: verdict line, the sentence, the evidence, the fix."""
    text = Text()
    text.append_text(level_mark(verdict.level))
    text.append(f" {verdict.reason}", style=f"bold {style_of(verdict.level.value)}")
    text.append(f"  {title}\n\n", style="bold")
    text.append(verdict.summary + "\n")
    if verdict.evidence:
        text.append("\nEvidence\n", style="bold underline")
        for line in verdict.evidence:
            text.append(f"  • {line}\n")
    if verdict.action:
        text.append("\nFix\n", style="bold underline")
        text.append(f"  {verdict.action}\n")
    return text


class DetailScreen(Overlay):
    """The explanation of a subject, re-rendered on every repaint while open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("enter", "close", "Back", show=False),
    ]

    def __init__(self, subject: Subject, frame: Frame) -> None:
        super().__init__()
        self.subject = subject
        self._frame = frame
        self.title_text, self.verdict = explain(frame, subject)

    def compose(self) -> ComposeResult:
        """A scrollable box with the explanation."""
        with VerticalScroll(id="detail", classes="overlay-box") as box:
            box.border_title = "Why is this red?"
            box.border_subtitle = "escape: back · l logs · r restart · x delete"
            yield Static(explanation_text(self.title_text, self.verdict), id="detail-body")

    def show(self, frame: Frame) -> None:
        """Repaint with a newer frame (e.g. the crash log arrived)."""
        title, verdict = explain(frame, self.subject)
        if (title, verdict) != (self.title_text, self.verdict):
            self.title_text, self.verdict = title, verdict
            self.query_one("#detail-body", Static).update(explanation_text(title, verdict))

    @property
    def text(self) -> str:
        """The explanation as plain text (what is on screen)."""
        return explanation_text(self.title_text, self.verdict).plain

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
