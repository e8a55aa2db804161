"""Checks (HTTP, the API-base-URL check) and their steps, as the views see them."""

from __future__ import annotations

from collections.abc import Sequence
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


def failed_summary(results: Sequence[CheckResult]) -> tuple[str, str]:
    """(message, fix) naming the first failing step of each failed check ("" when all passed)."""
    parts, fixes = [], []
    for result in results:
        if result.ok:
            continue
        step = next((s for s in result.steps if not s.ok), None)
        if step is None:
            parts.append(f"{result.name}: no step ran")
            continue
        parts.append(f"{result.name} failed at '{step.name}': {step.detail}")
        if step.hint:
            fixes.append(step.hint)
    return "; ".join(parts), (fixes[0] if fixes else "")
