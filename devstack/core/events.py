"""Typed events: the only way anything changes the state.

Sources (kube watches, subprocesses, forwards, checks) create these; the store hands them to the
reducer in order. Events carry the time they happened (`at`, seconds since the epoch) because the
reducer must not read clocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.model import DoctorCheck


@dataclass(frozen=True)
class Event:
    """Base class of every event."""


@dataclass(frozen=True)
class SessionStarted(Event):
    """A command began; names the profile and the kube context it targets."""

    command: str
    profile: str
    context: str
    steps: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- pipeline steps
@dataclass(frozen=True)
class StepStarted(Event):
    """A pipeline step began."""

    step: str
    at: float


@dataclass(frozen=True)
class StepProgress(Event):
    """A step reports what it is doing now (one line)."""

    step: str
    message: str
    at: float


@dataclass(frozen=True)
class StepFinished(Event):
    """A step succeeded."""

    step: str
    at: float
    detail: str = ""


@dataclass(frozen=True)
class StepSkipped(Event):
    """A step did not run, and why."""

    step: str
    reason: str
    at: float


@dataclass(frozen=True)
class StepFailed(Event):
    """A step failed: what went wrong and the command or action that fixes it."""

    step: str
    error: str
    at: float
    fix: str = ""


# ----------------------------------------------------------------------------- doctor
@dataclass(frozen=True)
class DoctorChecked(Event):
    """One machine check finished."""

    check: DoctorCheck
