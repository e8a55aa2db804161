"""The Log pane: the deploy tool's output, or the selected pod's log (following), with a filter."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.markup import escape
from textual import events
from textual.binding import Binding, BindingType
from textual.widgets import Log

from devstack.tui.messages import PaneReady

MAX_LINES = 5000


def appended(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    """The lines at the end of `new` that `old` did not have (`new` is a sliding window).

    The deploy state keeps the last N lines; between two repaints some were appended and as many
    dropped from the front. The longest suffix of `old` that starts `new` is what was kept.
    """
    if new is old or new == old:
        return ()
    for count in range(len(new) + 1):
        kept = len(new) - count
        if kept <= len(old) and old[len(old) - kept :] == new[:kept]:
            return new[kept:]
    return new


class LogPane(Log):
    """Shows one source at a time: `deploy` (from the state) or a followed pod (from a worker)."""

    BORDER_TITLE = "Log"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "End", show=False),
        Binding("escape", "app.clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(max_lines=MAX_LINES, auto_scroll=True, id=id, classes=classes)
        self.source = "deploy"
        self.stream = 0
        self.filter_text = ""
        self._buffer: deque[str] = deque(maxlen=MAX_LINES)
        self._deploy_lines: tuple[str, ...] = ()
        self._at_end = True  # scrolled to the last line (or not scrolled away from it)

    def on_mount(self) -> None:
        """Tell the screen; note whether the pane is at its end each time it scrolls."""
        self.watch(self, "scroll_y", self._note_position, init=False)
        self.post_message(PaneReady())

    def _note_position(self) -> None:
        self._at_end = self.is_vertical_scroll_end

    def on_resize(self, _event: events.Resize) -> None:
        """Keep following the end when the pane gets shorter (the footer or the tab bar arrives
        after the first lines, the terminal shrinks): `Log` scrolls to the end only on a write, and
        only if it was at the end then, so the last lines would stay hidden until the user scrolls."""
        if self._at_end and not self.is_vertical_scroll_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    @property
    def lines_shown(self) -> list[str]:
        """The buffered lines that pass the filter (what the pane shows)."""
        return [line for line in self._buffer if self._match(line)]

    def _match(self, line: str) -> bool:
        return not self.filter_text or self.filter_text.lower() in line.lower()

    def _add(self, lines: Iterable[str]) -> None:
        batch = list(lines)
        self._buffer.extend(batch)
        shown = [line for line in batch if self._match(line)]
        if shown:
            self.write_lines(shown)

    def show_deploy(self, tool: str, mode: str, lines: tuple[str, ...]) -> None:
        """Append the deploy tool's new output lines (when the pane shows the deploy output)."""
        if self.source != "deploy":
            self._deploy_lines = lines
            return
        self.border_title = f"Log · {tool} {mode}".rstrip() if tool else "Log · deploy output"
        new = appended(self._deploy_lines, lines)
        self._deploy_lines = lines
        self._add(new)

    def follow(self, pod: str, container: str) -> int:
        """Switch to a pod's log; returns the stream number that its batches must carry."""
        self.stream += 1
        self.source = f"pod:{pod}"
        self.border_title = escape(f"Log · {pod.split('/', 1)[-1]} [{container}] (following)")
        self._reset()
        return self.stream

    def back_to_deploy(self) -> None:
        """Show the deploy tool's output again."""
        self.stream += 1
        self.source = "deploy"
        self.border_title = "Log · deploy output"
        self._reset()
        self._add(self._deploy_lines)

    def add_pod_lines(self, stream: int, lines: list[str]) -> None:
        """A batch from the log follower (ignored when it belongs to an older stream)."""
        if stream == self.stream and self.source.startswith("pod:"):
            self._add(lines)

    def set_filter(self, text: str) -> None:
        """Show only lines containing `text` (case-insensitive)."""
        self.filter_text = text
        self.border_subtitle = f"filter: {escape(text)}" if text else ""
        self.clear()
        shown = self.lines_shown
        if shown:
            self.write_lines(shown)

    def _reset(self) -> None:
        self._buffer.clear()
        self.clear()
