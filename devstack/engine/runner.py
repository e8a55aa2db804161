"""Run named steps in order, turning their outcome into Step* events."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Step:
    """A step's facts and the function doing its work (returns a one-line result)."""

    info: StepInfo
    run: Callable[[Progress], str]


def run_steps(steps: Sequence[Step], emit: Emit) -> StepError | None:
    """Run steps in order until one fails; returns that failure (None when all succeeded)."""
    for step in steps:
        name = step.info.name
        emit(ev.StepStarted(name, at=time.time()))

        def progress(message: str, name: str = name) -> None:
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
