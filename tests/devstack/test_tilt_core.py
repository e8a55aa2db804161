"""Tilt's state in the core: the API objects of TILT.md §4.2–4.3 (recorded shapes in
fixtures/tilt) become resources, a session, the deploy state, the timeline's phases and
explanations of Tilt's own states (Tiltfile error, build failed, waiting on a dependency)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.core import events as ev
from devstack.core.model import Level
from devstack.core.reducer import reduce
from devstack.core.state import State
from devstack.core.tilt import (
    TILTFILE_RESOURCE,
    TiltView,
    first_deploy_state,
    log_source,
    micro_time,
    resolve_name,
    resources_from_json,
    session_from_json,
    tiltfile_location,
)
from devstack.core.tilt_explain import explain_exit, explain_tilt

FIXTURES = Path(__file__).parent / "fixtures" / "tilt"
IMAGES = (("jetscale-backend", "Tiltfile:8"), ("jetscale-frontend", "Tiltfile:9"))


def fixture(name: str) -> object:
    return json.loads((FIXTURES / name).read_text())


def polled(name: str, at: float, session: str | None = None) -> ev.TiltPolled:
    found = session_from_json(fixture(session)) if session else None
    return ev.TiltPolled(resources_from_json(fixture(name)), found, at, 10351, IMAGES)


def tilt_state() -> State:
    return reduce(State(), ev.DeployStarted("tilt", ("tilt", "up"), "up", at=0.0, channel="events"))


def test_uiresources_parse_per_resource_status_build_and_pod() -> None:
    resources = resources_from_json(fixture("uiresources-healthy.json"))
    assert [r.name for r in resources] == [TILTFILE_RESOURCE, "jetscale-backend", "jetscale-frontend"]
    backend = resources[1]
    assert (backend.update_status, backend.runtime_status, backend.ready) == ("ok", "ok", True)
    assert backend.last_build is not None and backend.last_build.seconds == pytest.approx(6.0)
    assert backend.pod_name == "jetscale-backend-5f7d-abcde" and backend.pod_status == "Running"
    assert resources[2].pod_restarts == 1
    running = resources_from_json(fixture("uiresources-deploying.json"))[1]
    assert running.building_since == micro_time("2026-01-01T00:00:02.000000Z") and running.last_build is None
    held = resources_from_json(fixture("uiresources-deploying.json"))[2]
    assert (held.waiting_reason, held.waiting_on) == ("waiting-for-dep", ("jetscale-backend",))


def test_session_parse_targets_and_states() -> None:
    session = session_from_json(fixture("session-deploying.json"))
    states = {t.name: (t.type, t.state, t.detail) for t in session.targets}
    assert states["jetscale-backend:update"] == ("job", "active", "")
    assert states["jetscale-frontend:update"] == ("job", "waiting", "waiting-for-dep")
    assert states["tiltfile:update"] == ("job", "terminated", "")
    assert session.exit_condition == "manual" and not session.done
    failed = session_from_json(fixture("session-build-failed.json"))
    assert failed.targets[0].detail.startswith("Build Failed: ImageBuild")


def test_unreadable_documents_give_nothing_not_an_exception() -> None:
    assert resources_from_json({"kind": "List", "items": "nope"}) == ()
    assert resources_from_json([1, 2]) == ()
    assert session_from_json(None).targets == ()
    assert micro_time("not a time") is None and micro_time(None) is None


def test_first_deploy_state_follows_tilt() -> None:
    def view(name: str) -> TiltView:
        return TiltView(resources_from_json(fixture(name)))

    assert first_deploy_state(TiltView()) == "loading"
    assert first_deploy_state(view("uiresources-deploying.json")) == "building"
    assert first_deploy_state(view("uiresources-healthy.json")) == "deployed"
    assert first_deploy_state(view("uiresources-build-failed.json")) == "failed"
    assert first_deploy_state(view("uiresources-tiltfile-error.json")) == "failed"


def test_polls_build_the_timeline_with_tilts_own_times() -> None:
    state = tilt_state()
    state = reduce(state, polled("uiresources-deploying.json", 100.0, "session-deploying.json"))
    current = state.timeline.current
    assert current is not None and current.running and current.tool_iteration == 1
    build = current.phase("build", "jetscale-backend")
    assert build is not None and build.start == micro_time("2026-01-01T00:00:02.000000Z")
    assert state.deploy.phase == "building" and state.deploy.iteration == 1
    state = reduce(state, polled("uiresources-healthy.json", 120.0))
    current = state.timeline.current
    assert current is not None
    backend, frontend = (
        current.phase("build", "jetscale-backend"),
        current.phase("build", "jetscale-frontend"),
    )
    assert backend is not None and backend.seconds == pytest.approx(6.0) and backend.ok
    assert frontend is not None and frontend.seconds == pytest.approx(4.0)
    deploy = current.phase("deploy")
    assert deploy is not None and deploy.ok and deploy.end == micro_time("2026-01-01T00:00:15.000000Z")
    assert current.running  # rollout, forwards and http are the loop tracker's
    assert state.deploy.phase == "deployed"
    assert state.tilt.reachable and state.tilt.web_port == 10351


def test_a_failed_build_fails_the_iteration_with_its_error() -> None:
    state = reduce(tilt_state(), polled("uiresources-deploying.json", 1.0))
    state = reduce(state, polled("uiresources-build-failed.json", 2.0))
    current = state.timeline.current
    assert current is not None
    # the frontend still waits on the backend: the iteration is not over until nothing is pending
    assert current.running
    assert state.deploy.phase == "failed"
    assert any("Build Failed: ImageBuild" in e for e in state.deploy.errors)


def test_tiltfile_error_explained_with_its_line() -> None:
    view = TiltView(resources_from_json(fixture("uiresources-tiltfile-error.json")), images=IMAGES)
    [(name, verdict)] = explain_tilt(view)
    assert name == TILTFILE_RESOURCE and verdict.reason == "TiltfileError" and verdict.level is Level.ERROR
    assert "Tiltfile:12" in verdict.summary and "got illegal token" in verdict.summary
    assert "fix Tiltfile:12" in verdict.action


def test_build_failure_explained_with_error_fix_and_docker_build_line() -> None:
    view = TiltView(resources_from_json(fixture("uiresources-build-failed.json")), images=IMAGES)
    verdicts = dict(explain_tilt(view))
    build = verdicts["jetscale-backend"]
    assert build.reason == "BuildFailed" and build.level is Level.ERROR
    assert "docker_build at Tiltfile:8" in build.summary and "exit code: 1" in build.summary
    assert "tilt trigger jetscale-backend" in build.action
    waiting = verdicts["jetscale-frontend"]
    assert waiting.reason == "WaitingOnDependency" and waiting.level is Level.PROGRESSING
    assert waiting.summary.startswith("jetscale-frontend waiting on jetscale-backend")


def test_healthy_tilt_has_nothing_to_explain() -> None:
    assert explain_tilt(TiltView(resources_from_json(fixture("uiresources-healthy.json")))) == []


def test_exit_errors_explained_when_the_last_read_missed_them() -> None:
    """`tilt ci` can end before a poll saw the failure: its `Error:` line is read instead."""
    syntax = "/stack/Tiltfile:3:9: got newline, want ')'"
    found = explain_exit(syntax, TiltView())
    assert found is not None and found[0] == TILTFILE_RESOURCE and "Tiltfile:3" in found[1].summary
    built = explain_exit("Build Failed: exit code: 2", TiltView(images=IMAGES), failing="jetscale-backend")
    assert built is not None and built[1].reason == "BuildFailed" and "Tiltfile:8" in built[1].summary
    assert explain_exit("context canceled", TiltView()) is None
    crash = "Pod jetscale-backend-7587 in error state due to container backend: CrashLoopBackOff"
    assert explain_exit(crash, TiltView(images=IMAGES), failing="jetscale-backend") is None
    built = TiltView(resources_from_json(fixture("uiresources-healthy.json")), images=IMAGES)
    assert explain_exit("exit code 1", built, failing="jetscale-backend") is None


def test_log_prefixes_and_locations() -> None:
    assert log_source("jetscale-bac… │ ERROR: Build Failed") == ("jetscale-bac…", "ERROR: Build Failed")
    assert log_source("  api │ listening") == ("api", "listening")
    assert log_source("Loading Tiltfile at: /x/Tiltfile") == ("", "Loading Tiltfile at: /x/Tiltfile")
    assert resolve_name("jetscale-bac…", ("jetscale-frontend", "jetscale-backend")) == "jetscale-backend"
    assert tiltfile_location('File "/a/b/Tiltfile:41:3" says') == "Tiltfile:41"
    assert tiltfile_location("no location") == ""


def test_tilt_output_is_not_read_as_skaffold_progress() -> None:
    state = tilt_state()
    state = reduce(state, ev.DeployOutput("Starting deploy...", at=1.0))
    assert state.deploy.phase == "idle" and state.deploy.lines == ("Starting deploy...",)


def test_unreachable_keeps_the_last_view() -> None:
    state = reduce(tilt_state(), polled("uiresources-healthy.json", 1.0))
    state = reduce(state, ev.TiltUnreachable("Error: No tilt apiserver found: tilt-10351", at=2.0))
    assert not state.tilt.reachable and len(state.tilt.resources) == 3
    assert "No tilt apiserver" in state.tilt.detail


def test_images_become_the_deploy_tools_artifacts() -> None:
    """An image typo is compared with what Tilt builds, as with Skaffold's artifacts."""
    state = reduce(tilt_state(), polled("uiresources-deploying.json", 1.0))
    assert dict(state.deploy.artifacts) == {"jetscale-backend": "building", "jetscale-frontend": "declared"}
    state = reduce(state, polled("uiresources-build-failed.json", 2.0))
    assert dict(state.deploy.artifacts)["jetscale-backend"] == "failed"
    state = reduce(state, polled("uiresources-healthy.json", 3.0))
    assert dict(state.deploy.artifacts) == {"jetscale-backend": "built", "jetscale-frontend": "built"}


def test_the_overall_verdict_names_tilts_own_failure_first() -> None:
    from devstack.core.explain import overall

    state = reduce(tilt_state(), polled("uiresources-tiltfile-error.json", 1.0))
    level, summary = overall(state, [])
    assert level is Level.ERROR and summary.startswith("(Tiltfile): TiltfileError")
    healthy = reduce(tilt_state(), polled("uiresources-healthy.json", 1.0))
    assert "TiltfileError" not in overall(healthy, [])[1]


def test_a_redeploy_under_tilt_up_moves_the_deploy_step_like_skaffold_dev() -> None:
    """Iteration 2 of `tilt up` (a rebuild after an edit) puts the deploy step back to running,
    and its end makes it OK again; a failed rebuild fails it with Tilt's explanation."""
    from devstack.core.model import StepStatus
    from devstack.core.pipeline import DEPLOY

    state = reduce(tilt_state(), ev.StepStarted(DEPLOY.name, at=0.0))
    state = reduce(state, ev.StepFinished(DEPLOY.name, at=0.5, detail="tilt up is watching"))
    state = reduce(state, polled("uiresources-deploying.json", 1.0))
    state = reduce(state, polled("uiresources-healthy.json", 2.0))
    assert state.deploy.dev_loop and state.deploy.iteration == 1
    rebuilding = json.loads((FIXTURES / "uiresources-healthy.json").read_text())
    backend = rebuilding["items"][1]["status"]
    backend["currentBuild"] = {"startTime": "2026-01-01T00:01:00.000000Z", "spanID": "build:2"}
    backend["updateStatus"] = "in_progress"
    state = reduce(state, ev.TiltPolled(resources_from_json(rebuilding), None, 3.0))
    step = state.step(DEPLOY.name)
    assert state.deploy.iteration == 2 and step is not None and step.status is StepStatus.RUNNING
    failed = json.loads((FIXTURES / "uiresources-build-failed.json").read_text())
    state = reduce(state, ev.TiltPolled(resources_from_json(failed), None, 4.0, images=IMAGES))
    step = state.step(DEPLOY.name)
    assert step is not None and step.status is StepStatus.FAILED
    assert "Tilt's build of jetscale-backend failed" in step.error


def test_the_tiltfiles_images_are_known_before_any_read() -> None:
    """`tilt ci` may end before the first read: an image typo is still compared with the Tiltfile."""
    state = reduce(tilt_state(), ev.TiltStarted(10351, IMAGES, at=1.0))
    assert dict(state.deploy.artifacts) == {"jetscale-backend": "declared", "jetscale-frontend": "declared"}
    assert state.tilt.web_port == 10351 and not state.tilt.reachable
