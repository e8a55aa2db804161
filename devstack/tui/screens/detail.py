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
from devstack.tui.subjects import Detail, Subject, explain, pod_of


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


def detail_text(detail: Detail) -> Text:
    """The whole detail: the subject's explanation, then (for an event) its object's."""
    text = explanation_text(detail.title, detail.verdict)
    if detail.about is not None:
        title, verdict = detail.about
        text.append(f"\n── about {title} ──\n\n", style="bold")
        text.append_text(explanation_text(title, verdict))
    return text


def keys_for(frame: Frame, subject: Subject) -> str:
    """The keys that act on a subject from the detail view (its footer line)."""
    keys = ["escape: back"]
    if subject.kind == "forward":
        keys.append("r re-open forwards")
    elif pod_of(frame, subject) is not None:
        keys += ["l logs", "r restart"]
        if subject.kind != "workload":
            keys.append("x delete")
    return " · ".join(keys)


class DetailScreen(Overlay):
    """The explanation of a subject, re-rendered on every repaint while open."""

    # A modal screen stops the app's keys: the ones its footer line offers are bound here.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("enter", "close", "Back", show=False),
        Binding("l", "app.logs", "Logs", show=False),
        Binding("r", "app.restart", "Restart", show=False),
        Binding("x", "app.delete_pod", "Delete", show=False),
    ]

    def __init__(self, subject: Subject, frame: Frame) -> None:
        super().__init__()
        self.subject = subject
        self.detail = explain(frame, subject)
        self._keys = keys_for(frame, subject)

    def compose(self) -> ComposeResult:
        """A scrollable box with the explanation."""
        with VerticalScroll(id="detail", classes="overlay-box") as box:
            box.border_title = "Why is this red?" if self.subject.kind != "event" else "Event"
            box.border_subtitle = self._keys
            yield Static(detail_text(self.detail), id="detail-body")

    def show(self, frame: Frame) -> None:
        """Repaint with a newer frame (e.g. the crash log arrived)."""
        detail = explain(frame, self.subject)
        if detail != self.detail:
            self.detail = detail
            self.query_one("#detail-body", Static).update(detail_text(detail))
        keys = keys_for(frame, self.subject)
        if keys != self._keys:
            self._keys = keys
            self.query_one("#detail", VerticalScroll).border_subtitle = keys

    @property
    def text(self) -> str:
        """The explanation as plain text (what is on screen)."""
        return detail_text(self.detail).plain

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
