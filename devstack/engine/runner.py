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
    """A step failed: the message names what, `fix` says how to fix it; `waiting`, what it was
    still waiting for (kept when the run's deadline cuts the step short)."""

    def __init__(self, message: str, fix: str = "", exit_code: int = UNHEALTHY, waiting: str = ""):
        super().__init__(message, fix, exit_code)
        self.waiting = waiting


class SkipStep(Exception):
    """A step decided not to run (the reason is shown)."""


class Stopped(StepError):
    """The run was stopped by the user (quit, down, profile switch)."""

    def __init__(self) -> None:
        super().__init__("stopped", fix="press u to bring the stack up again")


class DeadlinePassed(StepError):
    """The run's `--timeout` passed while `step` was running."""

    def __init__(self, seconds: float, step: str, waiting: str = ""):
        still = f": still waiting for {waiting}" if waiting else ""
        super().__init__(
            f"not done within --timeout {seconds:g}s ({step} was still running){still}",
            fix="give --timeout more seconds; the profile's deploy.timeouts limit each stage",
            waiting=waiting,
        )
        self.seconds = seconds
        self.step = step


@dataclass(frozen=True)
class Deadline:
    """One deadline for a whole run (`--timeout`): `at` is a `time.monotonic()` value."""

    at: float
    seconds: float

    def passed(self) -> bool:
        """The deadline is behind us."""
        return time.monotonic() >= self.at


@dataclass(frozen=True)
class Step:
    """A step's facts and the function doing its work (returns a one-line result)."""

    info: StepInfo
    run: Callable[[Progress], str]


def run_steps(
    steps: Sequence[Step],
    emit: Emit,
    cancel: threading.Event | None = None,
    deadline: Deadline | None = None,
) -> StepError | None:
    """Run steps in order until one fails; returns that failure (None when all succeeded).

    Once `cancel` is set the run ends with `Stopped` before the next step, or at the next progress
    line the running step reports from this thread. Once `deadline` has passed, it ends the same
    way with `DeadlinePassed`, and a step that fails after it (its time was cut) fails with it.
    """
    owner = threading.current_thread()

    def check(name: str) -> None:
        if deadline is not None and deadline.passed():
            raise DeadlinePassed(deadline.seconds, name)
        if cancel is not None and cancel.is_set():
            raise Stopped()

    for step in steps:
        name = step.info.name
        try:
            check(name)
        except DeadlinePassed as late:
            emit(ev.StepFailed(name, late.message, at=time.time(), fix=late.fix))
            return late
        except StepError as stopped:
            return stopped
        emit(ev.StepStarted(name, at=time.time()))

        def progress(message: str, name: str = name) -> None:
            if threading.current_thread() is owner:
                check(name)
            emit(ev.StepProgress(name, message, at=time.time()))

        try:
            detail = step.run(progress)
        except SkipStep as skipped:
            emit(ev.StepSkipped(name, str(skipped), at=time.time()))
            continue
        except DevstackError as error:
            failure = (
                error
                if isinstance(error, StepError)
                else StepError(error.message, error.fix, error.exit_code)
            )
            if _cut_short(failure, deadline):
                assert deadline is not None
                failure = DeadlinePassed(deadline.seconds, name, failure.waiting)
            emit(ev.StepFailed(name, failure.message, at=time.time(), fix=failure.fix))
            return failure
        emit(ev.StepFinished(name, at=time.time(), detail=detail))
    return None


def _cut_short(failure: StepError, deadline: Deadline | None) -> bool:
    """A step failed (not for a usage or prerequisite reason) once its time was cut by the deadline."""
    return (
        deadline is not None
        and deadline.passed()
        and failure.exit_code == UNHEALTHY
        and not isinstance(failure, DeadlinePassed)
    )
