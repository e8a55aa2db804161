"""The `up` steps with progress while they run; a failed step stays with its error and fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import coloured, mark, style_of
from devstack.tui.widgets.quiet import QuietStatic

if TYPE_CHECKING:
    from devstack.core.model import StepState
    from devstack.core.state import State


def step_marks(steps: tuple[StepState, ...]) -> Text:
    """`✓ doctor  ✓ cluster  … deploy  · ready` (the running step's name in bold)."""
    text = Text("up ")
    for step in steps:
        status = step.status.value  # pending, running, ok, failed, skipped: mark names too
        text.append_text(mark(status))
        text.append(f" {step.name}  ", style="bold" if status == "running" else style_of(status))
    return text


def step_detail(state: State) -> Text | None:
    """The running step's progress line, or the failed step's error and fix."""
    failed = state.failed_step
    if failed is not None:
        text = coloured(f"{failed.name}: {failed.error}", "failed")
        if failed.fix:
            text.append(f"\nfix: {failed.fix}", style="bold")
        return text
    running = next((s for s in state.steps if s.status == "running"), None)
    if running is not None and running.message:
        return coloured(f"{running.name}: {running.message}", "running")
    return None


class StepsBar(QuietStatic):
    """One line of step marks, plus the current progress or the failure with its fix."""

    def show(self, state: State) -> None:
        """Render from the state."""
        if not state.steps:
            self.show_text(Text("up · not started (press u)", style=style_of("pending")))
            return
        detail = step_detail(state)
        marks = step_marks(state.steps)
        self.show_text(marks if detail is None else Text("\n").join([marks, detail]))
