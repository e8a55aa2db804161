"""`--json` documents: stable, machine-readable views of the state."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from devstack.core.checks import CheckResult
from devstack.core.health import Explanation
from devstack.core.model import DoctorCheck
from devstack.core.portforward import ForwardView
from devstack.core.state import State
from devstack.core.tilt import resource_state


def doctor_check(check: DoctorCheck) -> dict[str, Any]:
    """`{"name","status","detail","fix","required","data"}` for one check."""
    return {
        "name": check.name,
        "status": check.status.value,
        "detail": check.detail,
        "fix": check.fix,
        "required": check.required,
        "data": dict(check.data),
    }


def doctor_document(state: State) -> dict[str, Any]:
    """The `devstack doctor --json` document."""
    return {
        "ok": not state.doctor_failures,
        "profile": state.profile,
        "context": state.context,
        "checks": [doctor_check(c) for c in state.doctor],
    }


def dumps(document: dict[str, Any]) -> str:
    """JSON text as every command prints it: the text of `json.dumps(document, indent=2)`.

    msgspec writes it ~50x faster (a `status --json` at thousands of pods is megabytes). The two
    differ only where `json.dumps` is odd: msgspec writes `1e20` for `1e+20` and `null` for NaN
    (not JSON). A document with non-ASCII text goes through `json.dumps`, which escapes it
    (`\\u00e9`), so the output stays ASCII whatever the terminal's encoding.
    """
    try:
        text = msgspec.json.format(msgspec.json.encode(document), indent=2)
    except (TypeError, msgspec.EncodeError):
        text = b"\x80"  # a value msgspec does not encode as json does: json decides
    if text.isascii():
        return text.decode()
    return json.dumps(document, indent=2, sort_keys=False)


def explanation(verdict: Explanation) -> dict[str, Any]:
    """An explanation as JSON."""
    return {
        "level": verdict.level.value,
        "reason": verdict.reason,
        "explanation": verdict.summary,
        "evidence": list(verdict.evidence),
        "action": verdict.action,
    }


def workloads(state: State, verdicts: list[tuple[str, Explanation]]) -> list[dict[str, Any]]:
    """`[{"kind","name","ready","level","reason","explanation",...}]` for every Deployment."""
    rows = []
    for name, verdict in verdicts:
        deployment = next((d for d in state.deployments.values() if d.name == name), None)
        rows.append(
            {
                "kind": "Deployment",
                "name": name,
                "ready": bool(deployment and deployment.ready),
                "replicas": f"{deployment.ready_replicas}/{deployment.replicas}" if deployment else "",
                **explanation(verdict),
            }
        )
    return rows


def steps(state: State) -> list[dict[str, Any]]:
    """`[{"name","ok","seconds","status","detail","error","fix"}]`."""
    return [
        {
            "name": s.name,
            "ok": s.status.value in ("ok", "skipped"),
            "status": s.status.value,
            "seconds": s.seconds,
            "detail": s.message,
            "error": s.error,
            "fix": s.fix,
        }
        for s in state.steps
    ]


def up_document(state: State, ok: bool, verdicts: list[tuple[str, Explanation]]) -> dict[str, Any]:
    """The `devstack up --json` document."""
    return {
        "ok": ok,
        "profile": state.profile,
        "context": state.context,
        "steps": steps(state),
        "workloads": workloads(state, verdicts),
        "forwards": forwards(list(state.forwards.values())),
        "checks": checks(state.checks),
        "deploy": {
            "tool": state.deploy.tool,
            "exit_code": state.deploy.exit_code,
            "iteration": state.deploy.iteration,
            "errors": list(state.deploy.errors),
            **({"tilt": tilt_document(state)} if state.deploy.tool == "tilt" else {}),
        },
    }


def tilt_document(state: State) -> dict[str, Any]:
    """Tilt's state as last read (once a second while Tilt ran: `tilt ci` may exit between two
    reads, so a resource can show the state it had a moment before): each resource (status,
    state words, update/runtime, pod, restarts, last build time and error) and the session's
    targets."""
    resources = []
    for resource in state.tilt.resources:
        status, words = resource_state(resource)
        build = resource.last_build
        resources.append(
            {
                "name": resource.name,
                "status": status,
                "state": words,
                "update": resource.update_status,
                "runtime": resource.runtime_status,
                "pod": resource.pod_name,
                "restarts": resource.pod_restarts,
                "build_seconds": build.seconds if build is not None else None,
                "error": resource.build_error,
            }
        )
    session = state.tilt.session
    targets = [
        {"name": t.name, "type": t.type, "state": t.state, "detail": t.detail}
        for t in (session.targets if session is not None else ())
    ]
    return {"resources": resources, "targets": targets, "reachable": state.tilt.reachable}


def checks(results: tuple[CheckResult, ...] | list[CheckResult]) -> list[dict[str, Any]]:
    """`[{"name","ok","steps":[{"name","ok","detail","hint"}]}]`."""
    return [
        {
            "name": r.name,
            "ok": r.ok,
            "steps": [{"name": s.name, "ok": s.ok, "detail": s.detail, "hint": s.hint} for s in r.steps],
        }
        for r in results
    ]


def forwards(views: list[ForwardView]) -> list[dict[str, Any]]:
    """Forward states as JSON."""
    return [
        {
            "name": v.name,
            "local": f"127.0.0.1:{v.local_port}",
            "service": f"{v.service}:{v.remote_port}",
            "status": v.status,
            "pod": v.pod,
            "active": v.active,
            "connections": v.connections,
            "bytes_in": v.bytes_in,
            "bytes_out": v.bytes_out,
            "refused": v.refused,
            "idle_closed": v.idle_closed,
            "last_error": v.last_error,
        }
        for v in views
    ]
