"""`up` that can be stopped between steps and at each progress line (for long-lived sessions)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, Step
from devstack.engine.up import UpRun
from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY


class Stopped(DevstackError):
    """The run was stopped by the user (quit, down, profile switch)."""

    def __init__(self) -> None:
        super().__init__("stopped", fix="press u to bring the stack up again", exit_code=UNHEALTHY)


class GuardedUp(UpRun):
    """`UpRun` whose steps end with `Stopped` at the next step or progress line once `cancel` is set.

    Progress lines reported from other threads (e.g. kind's output reader) never raise: only the
    thread running the steps (`owner`) does.
    """

    def __init__(
        self, ctx: EngineContext, cancel: threading.Event, owner: threading.Thread, take_over: bool = False
    ):
        super().__init__(ctx, take_over=take_over)
        self._cancel_event = cancel
        self._owner = owner

    def steps(self) -> list[Step]:
        """The pipeline, each step guarded."""
        return [Step(step.info, self._guard(step.run)) for step in super().steps()]

    def _guard(self, run: Callable[[Progress], str]) -> Callable[[Progress], str]:
        def guarded(progress: Progress) -> str:
            self._check()

            def report(message: str) -> None:
                if threading.current_thread() is self._owner:
                    self._check()
                progress(message)

            return run(report)

        return guarded

    def _check(self) -> None:
        if self._cancel_event.is_set():
            raise Stopped()
