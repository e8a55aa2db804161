"""When `tilt ci` is over (TILT.md §2.3, `processExitCondition` of v0.37.6), as a pure function of
the session's targets: a cluster that cannot be reached (from v0.37.2), a target that ended with an
error, every target done and ready (success; more than the Tiltfile's own target needed), the
readiness timeout, the global `--timeout` with Tilt's summary of what was still waiting."""

from __future__ import annotations

from typing import Any

from devstack_sim.standins import tiltversion
from devstack_sim.standins.godur import format_duration


def verdict(
    found: list[dict[str, Any]],
    elapsed: float,
    timeout: float,
    readiness_timeout: float,
    cluster_error: str,
) -> tuple[bool, str]:
    """(done, error): `(True, "")` is success, `(False, "")` means keep going."""
    if cluster_error and tiltversion.at_least((0, 37, 2)):
        return True, "cluster connection failed"
    for target in found:
        terminated = target["state"].get("terminated")
        if terminated and terminated.get("error"):
            return True, str(terminated["error"])
    waiting = [t for t in found if "waiting" in t["state"]]
    not_ready = [
        t
        for t in found
        if "active" in t["state"] and (t["type"] == "job" or not t["state"]["active"].get("ready"))
    ]
    if not waiting and not not_ready and len(found) > 1:
        return True, ""
    if readiness_timeout and tiltversion.at_least((0, 35, 0)):
        for target in not_ready:
            if target["type"] == "server" and elapsed > readiness_timeout:
                shown = format_duration(readiness_timeout)
                return True, f"Readiness timeout after {shown}: target {target['name']} not ready"
    if timeout and elapsed > timeout:
        parts = []
        if waiting:
            shown = ", ".join(f"{t['name']} {t['state']['waiting']['waitReason']}" for t in waiting)
            parts.append(f"{len(waiting)} resources waiting ({shown})")
        if not_ready:
            parts.append(f"{len(not_ready)} resources not ready ({', '.join(t['name'] for t in not_ready)})")
        summary = ", ".join(parts) if tiltversion.at_least((0, 33, 7)) else ""
        return True, f"Timeout after {format_duration(timeout)}" + (f": {summary}" if summary else "")
    return False, ""
