"""Progress lines for headless runs (`up --headless`, CI logs): a store subscriber."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from devstack.core import events as ev
from devstack.core.state import State
from devstack.views.style import mark


class HeadlessPrinter:
    """Prints one line per step change (and the deploy tool's output with `verbose`)."""

    def __init__(self, stream: TextIO = sys.stderr, colour: bool = False, verbose: bool = False):
        self._stream = stream
        self._colour = colour
        self._verbose = verbose
        self._lock = threading.Lock()
        self._last: dict[str, str] = {}

    def __call__(self, state: State, event: ev.Event) -> None:
        line = self._line(state, event)
        if line is not None:
            with self._lock:
                print(line, file=self._stream, flush=True)

    def _line(self, state: State, event: ev.Event) -> str | None:
        if isinstance(event, ev.StepStarted):
            return f"{mark('running', self._colour)} {event.step} …"
        if isinstance(event, ev.StepProgress):
            if self._last.get(event.step) == event.message:
                return None
            self._last[event.step] = event.message
            return f"  {event.step}: {event.message}"
        if isinstance(event, ev.StepFinished):
            step = state.step(event.step)
            seconds = f" ({step.seconds:.1f}s)" if step and step.seconds is not None else ""
            return f"{mark('ok', self._colour)} {event.step}: {event.detail}{seconds}"
        if isinstance(event, ev.StepSkipped):
            return f"{mark('skipped', self._colour)} {event.step}: skipped ({event.reason})"
        if isinstance(event, ev.StepFailed):
            fix = f"\n  fix: {event.fix}" if event.fix else ""
            return f"{mark('failed', self._colour)} {event.step}: {event.error}{fix}"
        if isinstance(event, ev.DeployOutput) and self._verbose:
            return f"  | {event.line}"
        if (
            isinstance(event, ev.ApiStatus)
            and not event.reachable
            and state.cluster.unreachable_since == event.at
        ):
            return f"{mark('warning', self._colour)} API unreachable: {event.error}"
        return None
