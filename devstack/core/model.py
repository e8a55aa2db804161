"""Immutable value types the state is made of."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How healthy something is; ordered from good to bad (`rank`)."""

    OK = "ok"
    PROGRESSING = "progressing"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for OK up to 3 for ERROR: the one ordering of levels."""
        return _LEVEL_RANK[self]


_LEVEL_RANK = {Level.OK: 0, Level.PROGRESSING: 1, Level.WARNING: 2, Level.ERROR: 3}


class CheckStatus(StrEnum):
    """Outcome of a doctor check."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class StepStatus(StrEnum):
    """Where a pipeline step is."""

    PENDING = "pending"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class DoctorCheck:
    """One machine check: a tool, a port, the Docker daemon, the kube context, a kernel limit.

    Attributes:
        name: Stable identifier, e.g. `docker`, `tool:kind`, `port:3000`, `context`.
        status: ok, warn or fail.
        detail: What was found, in one line.
        fix: The command or action that fixes a problem ("" when ok).
        required: A failed required check means devstack cannot work (exit code 3).
        data: Machine-readable facts (versions, pid, ...), as sorted key/value pairs.
    """

    name: str
    status: CheckStatus
    detail: str
    fix: str = ""
    required: bool = False
    data: tuple[tuple[str, str], ...] = ()

    def fact(self, key: str) -> str | None:
        """A value from `data`, or None."""
        return dict(self.data).get(key)


@dataclass(frozen=True)
class StepState:
    """A pipeline step as the views show it."""

    name: str
    status: StepStatus = StepStatus.PENDING
    message: str = ""
    error: str = ""
    fix: str = ""
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def seconds(self) -> float | None:
        """How long the step ran, once it has finished."""
        if self.started_at is None or self.finished_at is None:
            return None
        return round(self.finished_at - self.started_at, 3)
