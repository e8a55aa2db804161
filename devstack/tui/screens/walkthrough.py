"""The first-run walkthrough: each `up` step with what it does and why, live, failures with fixes.

Shown on the first launch, when the profile's cluster does not exist yet, or with `--tour`.
Doctor results appear under the first step with their fix commands; a failed step stays on
screen with its error and fix; at the end it says where the frontend is.
"""

from __future__ import annotations

import io
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from devstack.core.model import CheckStatus, DoctorCheck, StepState, StepStatus
from devstack.core.pipeline import UP_STEPS, StepInfo, why
from devstack.core.state import State
from devstack.tui.format import mark, style_of
from devstack.tui.frames import Frame
from devstack.tui.widgets.footer import KeyFooter

INTRO = (
    "devstack runs your whole web stack on a local Kubernetes cluster: a kind cluster, Skaffold "
    "building and deploying it, localhost ports for the frontend and backend, and checks that "
    "the browser's API URL reaches the backend. These are the steps, in order:"
)


def _doctor_table(checks: tuple[DoctorCheck, ...]) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for check in sorted(checks, key=lambda c: (c.status is CheckStatus.OK, c.name)):
        detail = Text(check.detail)
        if check.fix and check.status is not CheckStatus.OK:
            detail.append(f"\nfix: {check.fix}", style="bold")
        table.add_row(mark(check.status.value), check.name, detail)
    return table


def _step_body(info: StepInfo, step: StepState | None, state: State) -> list[RenderableType]:
    status = step.status.value if step is not None else "pending"
    head = Text(info.title, style="bold")
    head.append(f" — {why(info, state.plan)}", style="" if status != "pending" else style_of("pending"))
    parts: list[RenderableType] = [head]
    if step is not None and step.message and step.status is not StepStatus.FAILED:
        parts.append(Text(step.message, style=style_of("running" if status == "running" else "ok")))
    if info.name == "doctor" and state.doctor:
        parts.append(_doctor_table(state.doctor))
    shown_by_doctor = info.name == "doctor" and bool(state.doctor)
    if step is not None and step.status is StepStatus.FAILED and not shown_by_doctor:
        parts.append(Text(step.error, style=style_of("failed")))
        if step.fix:
            parts.append(Text(f"fix: {step.fix}", style="bold"))
    return parts


def finished(state: State) -> bool:
    """Every step of `up` succeeded (or was skipped)."""
    done = (StepStatus.OK, StepStatus.SKIPPED)
    steps = [state.step(info.name) for info in UP_STEPS]
    return all(s is not None and s.status in done for s in steps)


def _closing(state: State, url: str) -> Text:
    other = next((s for s in state.steps if s.name not in {i.name for i in UP_STEPS}), None)
    text = Text()
    if other is not None and other.status is StepStatus.FAILED:
        text.append(f"{other.name}: {other.error}\n", style=style_of("failed"))
        if other.fix:
            text.append(f"fix: {other.fix}\n", style="bold")
    if finished(state):
        text.append_text(mark("ok"))
        where = f"open {url} (press o)" if url else "the stack is up"
        text.append(f" All set: {where}. Enter goes to the dashboard.", style="bold")
    elif state.failed_step is not None:
        text.append("Fix the problem above, then press enter to try again.", style="bold")
    elif not any(s.status is not StepStatus.PENDING for s in state.steps):
        text.append("Press enter to start. Escape skips to the dashboard.", style="bold")
    return text


def walkthrough(state: State, url: str) -> Group:
    """The whole walkthrough for a state: intro, each step (live), and what comes next."""
    steps = Table.grid(padding=(0, 1))
    steps.add_column(no_wrap=True)
    steps.add_column(ratio=1)
    for number, info in enumerate(UP_STEPS, start=1):
        step = state.step(info.name)
        status = step.status.value if step is not None else "pending"
        steps.add_row(Text.assemble(mark(status), f" {number}."), Group(*_step_body(info, step, state)))
    return Group(Text(INTRO + "\n"), steps, Text(""), _closing(state, url))


def plain(renderable: RenderableType, width: int = 160) -> str:
    """A renderable as plain text."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text(styles=False)


class WalkthroughScreen(Screen[bool]):
    """Dismisses with True when the stack came up in it, False when skipped."""

    DEFAULT_CSS = """
    #walkthrough {
        border: round $accent;
        border-title-style: bold;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next", "Start / continue"),
        Binding("escape", "skip", "Dashboard"),
    ]

    def __init__(self, frame: Frame, url: str) -> None:
        super().__init__()
        self.url = url
        self.state = frame.state

    def compose(self) -> ComposeResult:
        """Title, the steps, the footer."""
        with VerticalScroll(id="walkthrough") as box:
            box.border_title = self._title()
            yield Static(walkthrough(self.state, self.url), id="walkthrough-body")
        yield KeyFooter()

    def show(self, frame: Frame) -> None:
        """Repaint with a newer state."""
        if frame.state is self.state:
            return
        self.state = frame.state
        self.query_one("#walkthrough", VerticalScroll).border_title = self._title()
        self.query_one("#walkthrough-body", Static).update(walkthrough(self.state, self.url))

    def _title(self) -> str:
        return escape(f"Welcome to devstack · profile {self.state.profile or '—'}")

    @property
    def text(self) -> str:
        """What the walkthrough says now (plain)."""
        return plain(walkthrough(self.state, self.url))

    async def action_next(self) -> None:
        """Start `up` (again after a failure); go to the dashboard once everything is up."""
        if finished(self.state):
            self.dismiss(True)
            return
        running = any(s.status is StepStatus.RUNNING for s in self.state.steps)
        if not running:
            await self.app.run_action("up")

    def action_skip(self) -> None:
        """Go to the dashboard (up keeps running)."""
        self.dismiss(finished(self.state))
