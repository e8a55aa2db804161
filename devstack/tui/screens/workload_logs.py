"""`L`: the logs of every pod of a workload (or one pod), interleaved in time order with a
`[pod/NAME/CONTAINER]` prefix, following pods as they come and go.

`t` shows or hides timestamps, `w` wraps long lines, `p` switches to the previous (crashed)
instances and back, `s` saves the log as shown to a file (secrets redacted).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import RichLog, Static

from devstack.core.loglines import Interleaved, LogLine
from devstack.tui.keys import SCROLL_KEYS

if TYPE_CHECKING:
    from devstack.engine.podlogs import LogsTarget

MAX_LINES = 10_000


class LogBatch(Message):
    """Lines from the workload's followers (`stream` tells an old stream's batches apart)."""

    def __init__(self, stream: int, lines: list[LogLine]) -> None:
        super().__init__()
        self.stream = stream
        self.lines = lines


class WorkloadLogsScreen(Screen[None]):
    """The interleaved log of `name` (`deployment/NAME` or `pod/NAME`)."""

    DEFAULT_CSS = """
    WorkloadLogsScreen #wl-title { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    WorkloadLogsScreen #wl-log { height: 1fr; border: round $accent; }
    WorkloadLogsScreen #wl-keys { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("t", "flip('timestamps')", "Timestamps"),
        Binding("w", "flip('wrap')", "Wrap"),
        Binding("p", "flip('previous')", "Previous"),
        Binding("s", "save", "Save"),
        *SCROLL_KEYS,
    ]

    def __init__(self, name: str, save_dir: Path | None = None) -> None:
        super().__init__()
        self.target_name = name
        self.save_dir = save_dir
        self.timestamps = False
        self.wrap = False
        self.previous = False
        self.buffer = Interleaved(MAX_LINES)
        self.stream = 0
        self.target: LogsTarget | None = None
        self._cancel: threading.Event | None = None

    def compose(self) -> ComposeResult:
        """Title, the log, the keys."""
        yield Static(id="wl-title")
        yield RichLog(id="wl-log", max_lines=MAX_LINES, wrap=False, markup=False, highlight=False)
        yield Static(
            Text("escape back · t timestamps · w wrap · p previous/current · s save · j/k g/G"), id="wl-keys"
        )

    def on_mount(self) -> None:
        """Start following."""
        self.log_view.focus()
        self._start()

    def on_unmount(self) -> None:
        """Stop the followers."""
        self._stop()

    @property
    def log_view(self) -> RichLog:
        """The log widget."""
        return self.query_one("#wl-log", RichLog)

    @property
    def lines_shown(self) -> list[str]:
        """Every line as the view renders it now."""
        prefix = self.target.prefix if self.target is not None else True
        return [line.render(self.timestamps, prefix) for line in self.buffer.lines]

    # ------------------------------------------------------------------ stream
    def _start(self) -> None:
        self._stop()
        self.stream += 1
        stream, cancel = self.stream, threading.Event()
        self._cancel = cancel
        self.buffer.clear()
        self.log_view.clear()
        self._title()
        app: Any = self.app
        name, previous = self.target_name, self.previous

        def deliver(lines: list[LogLine]) -> None:
            self.post_message(LogBatch(stream, lines))

        def job() -> None:
            target = app.session.logs_target(name, previous)
            self.target = target
            self.app.call_from_thread(self._title)
            app.session.workload_logs(target, deliver, cancel)

        app.work("workload logs", job)

    def _stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._cancel = None

    def on_log_batch(self, message: LogBatch) -> None:
        """Add a batch: appended when it comes after every line shown, else redrawn in order."""
        if message.stream != self.stream:
            return
        if self.buffer.add(message.lines):
            prefix = self.target.prefix if self.target is not None else True
            for line in message.lines:
                self.log_view.write(Text(line.render(self.timestamps, prefix)))
        else:
            self._redraw()

    def _redraw(self) -> None:
        view = self.log_view
        view.clear()
        view.wrap = self.wrap
        for line in self.lines_shown:
            view.write(Text(line))

    def _title(self) -> None:
        what = "previous instances" if self.previous else "following"
        flags = [flag for flag in ("timestamps", "wrap") if getattr(self, flag)]
        shown = f" · {', '.join(flags)}" if flags else ""
        self.query_one("#wl-title", Static).update(Text(f"Logs {self.target_name} · {what}{shown}"))

    # ------------------------------------------------------------------ keys
    def action_flip(self, what: str) -> None:
        """Timestamps or wrap on/off (redrawn), or previous/current (a new stream)."""
        setattr(self, what, not getattr(self, what))
        if what == "previous":
            self._start()
            return
        self._title()
        self._redraw()

    def action_scroll(self, where: str) -> None:
        """Scroll the log."""
        view = self.log_view
        {"down": view.scroll_down, "up": view.scroll_up, "home": view.scroll_home, "end": view.scroll_end}[
            where
        ]()

    def action_save(self) -> None:
        """Write the log as shown (timestamps as toggled, secrets redacted) to a file in the save folder."""
        from devstack.core.redact import redact_line

        folder = self.save_dir or Path.cwd()
        safe = self.target_name.replace("/", "-")
        path = folder / f"{safe}-{time.strftime('%Y%m%d-%H%M%S')}.log"
        lines = [redact_line(line) for line in self.lines_shown]
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        except OSError as err:
            self.notify(f"cannot save to {path}: {err.strerror or err}", title="save", severity="error")
            return
        self.notify(f"saved {len(lines)} lines to {path} (secrets redacted)", title="save")

    def action_close(self) -> None:
        """Back; the followers stop."""
        self._stop()
        self.dismiss(None)
