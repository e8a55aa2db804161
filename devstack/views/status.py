"""`devstack status`: a snapshot of cluster, workloads, pods, services and endpoints."""

from __future__ import annotations

from typing import Any

from devstack.core.health import explain_service
from devstack.core.state import State
from devstack.core.verdicts import Verdicts
from devstack.views import jsonview
from devstack.views.style import mark
from devstack.views.text import workload_lines
from devstack.views.timeline import timeline_lines


def pod_rows(state: State, verdicts: Verdicts) -> list[dict[str, Any]]:
    """Pods with ready count, status, restarts and their explanation."""
    rows = []
    for pod in sorted(state.pods.values(), key=lambda p: p.name):
        ready, total = pod.ready_count
        verdict = verdicts.pods[pod.key]
        rows.append(
            {
                "name": pod.name,
                "ready": f"{ready}/{total}",
                "phase": pod.phase,
                "status": verdict.reason,
                "restarts": pod.restarts,
                "ip": pod.pod_ip,
                **jsonview.explanation(verdict),
            }
        )
    return rows


def service_rows(state: State) -> list[dict[str, Any]]:
    """Services with ports, ready endpoints and their explanation."""
    rows = []
    for service in sorted(state.services.values(), key=lambda s: s.name):
        slices = [s for s in state.endpointslices.values() if s.service == service.name]
        endpoints = [e for s in slices for e in s.endpoints]
        rows.append(
            {
                "name": service.name,
                "type": service.type,
                "ports": [f"{p.port}→{p.target_port}" for p in service.ports],
                "endpoints_ready": sum(1 for e in endpoints if e.ready),
                "endpoints": len(endpoints),
                **jsonview.explanation(explain_service(state, service)),
            }
        )
    return rows


def status_document(
    state: State, version: str, verdicts: Verdicts, timeline: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The `devstack status --json` document; `timeline` is the dev loop's (the timeline file)."""
    warnings = [e for e in state.kube_events.values() if e.warning]
    return {
        "ok": verdicts.healthy,
        "profile": state.profile,
        "context": state.context,
        "cluster": {"api": "reachable", "version": version},
        "workloads": jsonview.workloads(state, verdicts.named),
        "pods": pod_rows(state, verdicts),
        "services": service_rows(state),
        "warning_events": [
            {
                "object": f"{e.object_kind}/{e.object_name}",
                "reason": e.reason,
                "message": e.message,
                "count": e.count,
            }
            for e in sorted(warnings, key=lambda e: e.last_seen, reverse=True)[:20]
        ],
        "iterations": list((timeline or {}).get("iterations") or []),
        "dev_loop": {
            key: (timeline or {}).get(key)
            for key in ("channel", "channel_detail", "live", "pid", "written_at")
        },
    }


def status_lines(
    state: State,
    version: str,
    verdicts: Verdicts,
    colour: bool = False,
    timeline: dict[str, Any] | None = None,
) -> list[str]:
    """The text of `devstack status` (with the dev loop's last iterations when there are any)."""
    lines = [f"context {state.context} (Kubernetes {version}), profile {state.profile}", "", "Workloads:"]
    lines += [f"  {line}" for line in workload_lines(verdicts.named, colour)]
    lines += ["", "Pods:"]
    for row in pod_rows(state, verdicts):
        lines.append(
            f"  {mark(row['level'], colour)} {row['name']:<40} {row['ready']:>5} {row['status']:<24} "
            f"restarts {row['restarts']}"
        )
    lines += ["", "Services:"]
    for row in service_rows(state):
        lines.append(
            f"  {mark(row['level'], colour)} {row['name']:<30} {', '.join(row['ports']):<16} "
            f"{row['endpoints_ready']}/{row['endpoints']} endpoints ready"
        )
    if timeline and timeline.get("iterations"):
        lines += ["", "Dev loop:"] + [f"  {line}" for line in timeline_lines(timeline, colour)]
    return lines
