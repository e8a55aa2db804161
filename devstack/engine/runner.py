"""Run named steps in order, turning their outcome into Step* events."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from devstack.core import events as ev
from devstack.core.pipeline import StepInfo
from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY

Emit = Callable[[ev.Event], object]
Progress = Callable[[str], None]


class StepError(DevstackError):
    """A step failed: the message names what, `fix` says how to fix it."""

    def __init__(self, message: str, fix: str = "", exit_code: int = UNHEALTHY):
        super().__init__(message, fix, exit_code)


class SkipStep(Exception):
    """A step decided not to run (the reason is shown)."""


class Stopped(StepError):
    """The run was stopped by the user (quit, down, profile switch)."""

    def __init__(self) -> None:
        super().__init__("stopped", fix="press u to bring the stack up again")


@dataclass(frozen=True)
class Step:
    """A step's facts and the function doing its work (returns a one-line result)."""

    info: StepInfo
    run: Callable[[Progress], str]


def run_steps(steps: Sequence[Step], emit: Emit, cancel: threading.Event | None = None) -> StepError | None:
    """Run steps in order until one fails; returns that failure (None when all succeeded).

    Once `cancel` is set the run ends with `Stopped` before the next step, or at the next progress
    line the running step reports from this thread.
    """
    owner = threading.current_thread()

    def check() -> None:
        if cancel is not None and cancel.is_set():
            raise Stopped()

    for step in steps:
        name = step.info.name
        try:
            check()
        except Stopped as stopped:
            return stopped
        emit(ev.StepStarted(name, at=time.time()))

        def progress(message: str, name: str = name) -> None:
            if threading.current_thread() is owner:
                check()
            emit(ev.StepProgress(name, message, at=time.time()))

        try:
            detail = step.run(progress)
        except SkipStep as skipped:
            emit(ev.StepSkipped(name, str(skipped), at=time.time()))
            continue
        except StepError as failure:
            emit(ev.StepFailed(name, failure.message, at=time.time(), fix=failure.fix))
            return failure
        except DevstackError as failure:
            emit(ev.StepFailed(name, failure.message, at=time.time(), fix=failure.fix))
            return StepError(failure.message, failure.fix, failure.exit_code)
        emit(ev.StepFinished(name, at=time.time(), detail=detail))
    return None
