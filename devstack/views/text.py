"""Headless text rendering of the state (what `devstack doctor`, `up --headless`… print)."""

from __future__ import annotations

from devstack.core.checks import CheckResult
from devstack.core.health import Explanation
from devstack.core.model import DoctorCheck
from devstack.core.portforward import ForwardView
from devstack.core.state import State
from devstack.views.style import mark


def doctor_lines(checks: tuple[DoctorCheck, ...], colour: bool = False) -> list[str]:
    """One line per check, plus an indented `fix:` line under each problem."""
    width = max((len(c.name) for c in checks), default=0)
    lines: list[str] = []
    for check in checks:
        lines.append(f"{mark(check.status.value, colour)} {check.name.ljust(width)}  {check.detail}")
        if check.fix and check.status.value != "ok":
            lines.append(f"  {' ' * width}  fix: {check.fix}")
    return lines


def doctor_summary(state: State) -> str:
    """The closing line of `devstack doctor`."""
    missing = state.missing_prerequisites
    failures = state.doctor_failures
    if missing:
        names = ", ".join(c.name for c in missing)
        return f"missing prerequisites: {names} (see the fix lines above)"
    if failures:
        return f"{len(failures)} problem(s) found; devstack can run but will hit them"
    return "all checks passed"


def explanation_lines(name: str, verdict: Explanation, colour: bool = False) -> list[str]:
    """A workload's verdict: the sentence, then evidence and the next action, indented."""
    lines = [f"{mark(verdict.level.value, colour)} {name}: {verdict.reason} — {verdict.summary}"]
    lines += [f"    {line}" for line in verdict.evidence]
    if verdict.action and verdict.level.value != "ok":
        lines.append(f"    next: {verdict.action}")
    return lines


def workload_lines(verdicts: list[tuple[str, Explanation]], colour: bool = False) -> list[str]:
    """Every workload's verdict."""
    if not verdicts:
        return ["(no workloads)"]
    return [line for name, verdict in verdicts for line in explanation_lines(name, verdict, colour)]


def check_lines(results: tuple[CheckResult, ...] | list[CheckResult], colour: bool = False) -> list[str]:
    """Each check, then each of its steps with ✓/✗, the detail and (on failure) the hint."""
    lines: list[str] = []
    for result in results:
        lines.append(f"{mark('ok' if result.ok else 'fail', colour)} {result.name}")
        for step in result.steps:
            lines.append(f"    {mark('ok' if step.ok else 'fail', colour)} {step.name}: {step.detail}")
            if step.hint and not step.ok:
                lines.append(f"        hint: {step.hint}")
    return lines


def forward_line(view: ForwardView, colour: bool = False) -> str:
    """`✓ backend  127.0.0.1:8000 → jetscale-backend-abc:8000  ready  2 active, 10 total, 1.2 KiB in`."""
    level = {"ready": "ok", "waiting": "warning", "listening": "progressing", "error": "error"}[view.status]
    target = f"{view.pod}:{view.target_port}" if view.pod else f"{view.service}:{view.remote_port}"
    error = f"  last error: {view.last_error}" if view.last_error and view.status != "ready" else ""
    return (
        f"{mark(level, colour)} {view.name:<9} 127.0.0.1:{view.local_port} → {target}  {view.status}  "
        f"{view.active} active, {view.connections} total, {view.bytes_in} B in, {view.bytes_out} B out{error}"
    )
