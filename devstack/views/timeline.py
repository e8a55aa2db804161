"""The dev loop's timeline as text: one block per iteration, its phases with seconds, the slowest
marked, and why a cache missed or an artifact was rebuilt. Renders the timeline document
(`core.timeline.document`, or the one a running devstack keeps in the state folder)."""

from __future__ import annotations

from typing import Any

from devstack.core.shown import printable
from devstack.views.style import mark

SHOWN = 5


def _seconds(value: object) -> str:
    return f"{value:.1f}s" if isinstance(value, (int, float)) else "…"


def phase_text(phase: dict[str, Any], slowest: bool) -> str:
    """`build:jetscale-backend 1.9s` (`*` marks the slowest, `✗` a failed one)."""
    flag = " ✗" if phase.get("ok") is False else ""
    star = "*" if slowest else ""
    return f"{star}{phase.get('name', '?')} {_seconds(phase.get('seconds'))}{flag}"


def iteration_lines(iteration: dict[str, Any], colour: bool = False) -> list[str]:
    """Two or more lines for one iteration."""
    ok = iteration.get("ok")
    status = "running" if ok is None else ("ok" if ok else "failed")
    total = iteration.get("total_seconds")
    slowest = iteration.get("slowest")
    head = f"{mark(status, colour)} #{iteration.get('n')} {printable(str(iteration.get('trigger', '')), 120)}"
    if total is not None:
        head += f" — {_seconds(total)} from save to the first answer"
        if slowest:
            seconds = next(
                (p.get("seconds") for p in iteration.get("phases", []) if p.get("name") == slowest), None
            )
            head += f", slowest: {slowest} {_seconds(seconds)}"
    lines = [head]
    phases = iteration.get("phases") or []
    if phases:
        lines.append("    " + " · ".join(phase_text(p, p.get("name") == slowest) for p in phases))
    if iteration.get("error"):
        lines.append(f"    error: {printable(str(iteration['error']), 300)}")
    lines += [f"    note: {printable(str(note), 300)}" for note in iteration.get("notes") or []]
    return lines


def timeline_lines(document: dict[str, Any] | None, colour: bool = False, last: int = SHOWN) -> list[str]:
    """The last `last` iterations, newest last; a header says how the tool is followed."""
    iterations = (document or {}).get("iterations") or []
    if not iterations:
        return ["no dev-loop iteration recorded yet (devstack up records them)"]
    channel = document.get("channel") if document else ""
    how = {"events": "Skaffold's event API", "log": "Skaffold's output (no event API)"}.get(str(channel), "")
    live = (
        ""
        if document is None or "live" not in document
        else (" (live)" if document["live"] else " (devstack exited)")
    )
    lines = [f"followed through {how}{live}" if how else f"iterations{live}"]
    for iteration in iterations[-last:]:
        lines += iteration_lines(iteration, colour)
    return lines
