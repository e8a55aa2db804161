"""Checks (HTTP, the API-base-URL check) and their steps, as the views see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckStep:
    """One step of a check, with a hint when it failed."""

    name: str
    ok: bool
    detail: str = ""
    hint: str = ""


@dataclass(frozen=True)
class CheckResult:
    """A check and its steps; a check passes when every step passed."""

    name: str
    steps: tuple[CheckStep, ...]

    @property
    def ok(self) -> bool:
        """All steps passed (and there was at least one)."""
        return bool(self.steps) and all(step.ok for step in self.steps)
