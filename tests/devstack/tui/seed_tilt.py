"""A seeded Tilt session: `tilt up` (its stream lines) and Tilt's API objects as recorded in
tests/devstack/fixtures/tilt (TILT.md §4.2–4.3), through the real reducer."""

from __future__ import annotations

import json
from pathlib import Path

from seed import NOW, _checks, _forwards, _kube, _steps

from devstack.core import events as ev
from devstack.core.pipeline import UP_STEPS, step_names
from devstack.core.store import Store
from devstack.core.tilt import resources_from_json, session_from_json

FIXTURES = Path(__file__).parent.parent / "fixtures" / "tilt"
IMAGES = (("jetscale-backend", "Tiltfile:8"), ("jetscale-frontend", "Tiltfile:9"))
TILT_LINES = (
    "Tilt started on http://127.0.0.1:10351/",
    "v0.37.6, built 2026-07-28",
    "",
    "Initial Build",
    "Loading Tiltfile at: /work/stack/Tiltfile",
    "Successfully loaded Tiltfile (412.3ms)",
    "jetscale-bac… │ Building Dockerfile for platform linux/amd64:",
    "jetscale-bac… │ STEP 1/4 — Building Dockerfile: [jetscale-backend]",
)
FAILED_LINES = ("jetscale-bac… │ ERROR: Build Failed: ImageBuild: executor failed running: exit code: 1",)


def _fixture(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def tilt_store(scenario: str = "healthy") -> Store:
    """`tilt up` on the stack: `healthy` (both resources built and ready) or `build-failed`
    (the backend's docker_build failed, the frontend waits on it)."""
    store = Store()
    store.dispatch(ev.SessionStarted("up", "local-kind-tilt", "kind-jetscale", step_names(UP_STEPS)))
    store.dispatch(ev.ApiStatus(True, at=NOW - 600, server_version="v1.31.0"))
    command = ("tilt", "up", "--context", "kind-jetscale", "--file", "Tiltfile", "--", "--no-port-forwards")
    store.dispatch(ev.DeployStarted("tilt", command, "up", at=NOW - 590, channel="events"))
    healthy = scenario == "healthy"
    for line in TILT_LINES + (() if healthy else FAILED_LINES):
        store.dispatch(ev.DeployOutput(line, at=NOW - 580))
    for name in ("uiresources-deploying.json", f"uiresources-{scenario}.json"):
        session = session_from_json(_fixture("session-deploying.json"))
        store.dispatch(ev.TiltPolled(resources_from_json(_fixture(name)), session, NOW - 570, 10351, IMAGES))
    if healthy:
        _steps(store, "checks")
        _kube(store, backend_ready=True)
        _forwards(store, backend_ready=True)
        for result in _checks(ok=True):
            store.dispatch(ev.CheckReported(result, at=NOW - 500))
    else:
        fix = "fix the error in jetscale-backend's image or Dockerfile (docker_build at Tiltfile:8)"
        _steps(
            store,
            "deploy",
            ("tilt up failed: jetscale-backend: Tilt's build of jetscale-backend failed", fix),
        )
    return store
