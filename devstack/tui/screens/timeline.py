"""`t`: the dev loop's timeline — the current iteration live, the last ones with their totals and
the slowest phase highlighted, and why a cache missed or an artifact was rebuilt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from devstack.core.state import State
from devstack.core.timeline import Iteration, Phase
from devstack.tui.format import mark, style_of
from devstack.tui.frames import Frame
from devstack.tui.screens.overlay import Overlay

SHOWN = 8
"""Earlier iterations listed under the current one."""
TICK = 1.0
"""Seconds between repaints of a running iteration's clock when no state change repaints it."""


def _seconds(value: float | None) -> str:
    return "…" if value is None else f"{value:.1f}s"


def _phase(phase: Phase, now: float, slowest: bool) -> Text:
    seconds = phase.seconds if phase.seconds is not None else max(0.0, now - phase.start)
    style = (
        "bold yellow reverse"
        if slowest
        else style_of("failed" if phase.ok is False else "ok" if phase.ok else "running")
    )
    shown = (
        f"{phase.name} {seconds:.1f}s" + ("…" if phase.running else "") + (" ✗" if phase.ok is False else "")
    )
    return Text(shown, style=style)


def iteration_text(iteration: Iteration, now: float, current: bool) -> Text:
    """One iteration: its mark, trigger, total, and the phases in order (the slowest highlighted)."""
    status = "running" if iteration.running else ("ok" if iteration.ok else "failed")
    text = Text()
    text.append_text(mark(status))
    text.append(f" #{iteration.n} ", style="bold")
    text.append(iteration.trigger)
    total = iteration.total_seconds if not iteration.running else max(0.0, now - iteration.origin)
    text.append(f"  {_seconds(total)}{'…' if iteration.running else ''}", style="bold")
    slowest = iteration.slowest
    if slowest is not None and not current:
        text.append(f"  slowest: {slowest.name} {_seconds(slowest.seconds)}", style="yellow")
    phases = sorted(iteration.phases, key=lambda p: p.start)
    if phases:
        text.append("\n    ")
        text.append_text(Text(" · ").join(_phase(p, now, p is slowest) for p in phases))
    if iteration.error:
        text.append(f"\n    {iteration.error}", style=style_of("failed"))
    for note in iteration.notes:
        text.append(f"\n    note: {note}", style="italic")
    return text


def timeline_text(state: State, now: float) -> Text:
    """The whole overlay body."""
    deploy = state.deploy
    text = Text()
    if deploy.channel_detail:
        text.append(f"{deploy.tool or 'deploy tool'}: {deploy.channel_detail}\n", style="dim")
    iterations = state.timeline.iterations
    if not iterations:
        text.append("No iteration yet: `u` brings the stack up; each save then starts one.")
        return text
    current = iterations[-1]
    text.append("Now\n", style="bold underline")
    text.append_text(iteration_text(current, now, current=current.running))
    earlier = list(iterations[-SHOWN - 1 : -1])
    if earlier:
        text.append("\n\nEarlier (newest first)\n", style="bold underline")
        text.append_text(Text("\n").join(iteration_text(i, now, current=False) for i in reversed(earlier)))
    return text


class TimelineScreen(Overlay):
    """The timeline, repainted live while open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("t", "close", "Back", show=False),
        Binding("q", "close", "Back", show=False),
    ]

    def __init__(self, frame: Frame, clock: Callable[[], float]) -> None:
        super().__init__()
        self._frame = frame
        self._clock = clock

    def on_mount(self) -> None:
        """Keep a running iteration's seconds moving between state changes."""
        self.set_interval(TICK, self._tick)

    def _tick(self) -> None:
        current = self._frame.state.timeline.current
        if current is not None and current.running:
            self.show(replace(self._frame, now=max(self._frame.now, self._clock())))

    def compose(self) -> ComposeResult:
        """A scrollable box with the timeline."""
        with VerticalScroll(id="timeline", classes="overlay-box") as box:
            box.border_title = "Dev loop timeline"
            box.border_subtitle = "from file saved to the browser seeing it · escape: back"
            yield Static(timeline_text(self._frame.state, self._frame.now), id="timeline-body")

    def show(self, frame: Frame) -> None:
        """Repaint with a newer frame."""
        self._frame = frame
        self.query_one("#timeline-body", Static).update(timeline_text(frame.state, frame.now))

    @property
    def text(self) -> str:
        """What is on screen, as plain text."""
        return timeline_text(self._frame.state, self._frame.now).plain

    def action_close(self) -> None:
        """Back to the main screen."""
        self.dismiss(None)
