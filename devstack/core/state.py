"""The one immutable state every view renders."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.model import CheckStatus, DoctorCheck, StepState, StepStatus


@dataclass(frozen=True)
class State:
    """Everything devstack knows right now. Replace, never mutate (`dataclasses.replace`)."""

    command: str = ""
    profile: str = ""
    context: str = ""
    steps: tuple[StepState, ...] = ()
    doctor: tuple[DoctorCheck, ...] = ()

    def step(self, name: str) -> StepState | None:
        """The step with this name, or None."""
        return next((s for s in self.steps if s.name == name), None)

    @property
    def failed_step(self) -> StepState | None:
        """The first failed step, if any."""
        return next((s for s in self.steps if s.status is StepStatus.FAILED), None)

    @property
    def doctor_failures(self) -> tuple[DoctorCheck, ...]:
        """Doctor checks that failed."""
        return tuple(c for c in self.doctor if c.status is CheckStatus.FAIL)

    @property
    def missing_prerequisites(self) -> tuple[DoctorCheck, ...]:
        """Failed checks that devstack cannot work without."""
        return tuple(c for c in self.doctor_failures if c.required)
