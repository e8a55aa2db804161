"""`--json` documents: stable, machine-readable views of the state."""

from __future__ import annotations

import json
from typing import Any

from devstack.core.model import DoctorCheck
from devstack.core.state import State


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
    """JSON text as every command prints it."""
    return json.dumps(document, indent=2, sort_keys=False)
