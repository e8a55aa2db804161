"""The state says what holds now: down, redeploys, re-run checks, replaced pods and old warnings
change steps, forwards, checks and the header (pure reducers, no cluster)."""

from __future__ import annotations

from devstack.core import events as ev
from devstack.core.checks import CheckResult, CheckStep
from devstack.core.explain import headline_warnings, overall
from devstack.core.kube import Condition, KubeEventInfo, PodInfo
from devstack.core.model import Level, StepStatus
from devstack.core.pipeline import UP_STEPS, step_names
from devstack.core.portforward import ForwardView
from devstack.core.reducer import reduce
from devstack.core.state import State

PASSED = CheckResult("frontend page", (CheckStep("GET http://localhost:3000/", True, "HTTP 200"),))
FAILED_API = CheckResult(
    "api-base-url",
    (
        CheckStep(
            "browser can resolve it", False, "http://jetscale-backend:8000 is cluster-internal", "fix it"
        ),
    ),
)
PASSED_API = CheckResult("api-base-url", (CheckStep("browser can resolve it", True, "ok"),))


def apply(state: State, *events: ev.Event) -> State:
    for event in events:
        state = reduce(state, event)
    return state


def up_done(checks: tuple[CheckResult, ...] = (PASSED, PASSED_API)) -> State:
    """A state after a whole `up` in dev mode: every step ran, two forwards ready, checks reported."""
    state = apply(
        State(),
        ev.SessionStarted("tui", "local-kind", "kind-jetscale", step_names(UP_STEPS)),
        ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=1.0),
        *(ev.DeployOutput(line, at=2.0) for line in ("Generating tags...", "Deployments stabilized in 1s")),
        ev.ForwardChanged(ForwardView("frontend", 3000, "jetscale-frontend", 3000, "ready", "front-1", 3000)),
        ev.ForwardChanged(ForwardView("backend", 8000, "jetscale-backend", 8000, "ready", "back-1", 8000)),
    )
    for name in step_names(UP_STEPS):
        if name == "checks":
            state = apply(
                state,
                ev.StepStarted(name, at=3.0),
                ev.ChecksStarted(tuple(c.name for c in checks), at=3.0),
                *(ev.CheckReported(c, at=3.5) for c in checks),
            )
            ok = all(c.ok for c in checks)
            end = ev.StepFinished(name, at=4.0) if ok else ev.StepFailed(name, "checks failed", at=4.0)
            state = reduce(state, end)
        else:
            state = apply(state, ev.StepStarted(name, at=3.0), ev.StepFinished(name, at=3.0, detail="done"))
    return state


def statuses(state: State) -> dict[str, StepStatus]:
    return {s.name: s.status for s in state.steps}


def test_after_down_no_step_forward_or_check_claims_the_stack() -> None:
    state = up_done()
    assert set(statuses(state).values()) == {StepStatus.OK}
    state = apply(
        state,
        ev.ForwardsClosed(("frontend", "backend"), at=5.0),
        ev.DeployExited(0, at=5.0, requested=True),
    )
    assert state.forwards == {} and state.checks == ()
    assert state.deploy.phase == "stopped"
    state = reduce(state, ev.StackRemoved(at=6.0, detail="removed by down (kind-jetscale)"))
    steps = statuses(state)
    assert [steps[n] for n in ("doctor", "cluster", "context")] == [StepStatus.OK] * 3
    assert [steps[n] for n in ("deploy", "ready", "forwards", "checks")] == [StepStatus.PENDING] * 4
    assert state.step("deploy").message == "removed by down (kind-jetscale)"  # type: ignore[union-attr]
    assert state.deploy.phase == "removed"
    level, summary = overall(state, [])
    assert level is not Level.OK and "removed" in summary


def test_closing_forwards_clears_the_checks_that_went_through_them() -> None:
    state = reduce(up_done(), ev.ForwardsClosed(("frontend", "backend"), at=5.0))
    assert statuses(state)["forwards"] is StepStatus.PENDING
    assert statuses(state)["checks"] is StepStatus.PENDING
    assert state.step("checks").message == "not run since the forwards closed"  # type: ignore[union-attr]


def test_a_later_round_of_checks_replaces_the_failed_checks_step_and_the_header() -> None:
    state = up_done(checks=(PASSED, FAILED_API))
    assert statuses(state)["checks"] is StepStatus.FAILED
    assert overall(state, []) == (Level.ERROR, "checks failed")
    state = apply(
        state,
        ev.ChecksStarted(("frontend page", "api-base-url"), at=10.0),
        ev.CheckReported(PASSED, at=10.5),
    )
    assert statuses(state)["checks"] is StepStatus.FAILED, "the step changes once the round is complete"
    state = reduce(state, ev.CheckReported(PASSED_API, at=11.0))
    checks = state.step("checks")
    assert checks is not None and checks.status is StepStatus.OK and checks.error == ""
    assert checks.message == "2 check(s) passed"
    assert state.failed_step is None
    # and a round that fails again fails the step with the first failing step and its hint
    state = apply(state, ev.ChecksStarted(("api-base-url",), at=12.0), ev.CheckReported(FAILED_API, at=12.5))
    checks = state.step("checks")
    assert checks is not None and checks.status is StepStatus.FAILED
    assert "api-base-url failed at 'browser can resolve it'" in checks.error and checks.fix == "fix it"


def test_skaffold_dev_redeploys_move_the_deploy_and_ready_steps() -> None:
    state = reduce(up_done(), ev.DeployOutput("Generating tags...", at=20.0))
    deploy = state.step("deploy")
    assert deploy is not None and deploy.status is StepStatus.RUNNING
    assert deploy.message == "iteration 2: building"
    state = apply(
        state,
        ev.DeployOutput(" - jetscale:deployment/jetscale-backend is ready.", at=21.0),
        ev.DeployOutput("Deployments stabilized in 2.1 seconds", at=21.0),
        ev.DeployOutput("Watching for changes...", at=21.0),
    )
    assert statuses(state)["deploy"] is StepStatus.OK and statuses(state)["ready"] is StepStatus.OK
    assert state.step("deploy").message == "redeployed (iteration 2)"  # type: ignore[union-attr]
    state = apply(
        state,
        ev.DeployOutput("Generating tags...", at=30.0),
        ev.DeployOutput(" - deployment/jetscale-backend failed. Error: container backend crashed.", at=31.0),
        ev.DeployOutput("1/2 deployment(s) failed", at=31.0),
    )
    deploy = state.step("deploy")
    assert deploy is not None and deploy.status is StepStatus.FAILED
    assert deploy.error.startswith("iteration 3 failed:") and "container backend crashed" in deploy.error


def test_the_first_deploy_is_the_pipelines_business() -> None:
    state = apply(
        State(),
        ev.SessionStarted("tui", "local-kind", "kind-jetscale", step_names(UP_STEPS)),
        ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=1.0),
        ev.DeployOutput("Generating tags...", at=2.0),
        ev.DeployOutput("Deployments stabilized in 1s", at=2.0),
    )
    assert statuses(state)["deploy"] is StepStatus.PENDING


def pod(name: str, *, deleting: bool = False, ready_since: str = "") -> PodInfo:
    conditions = (Condition("Ready", "True", since=ready_since),) if ready_since else ()
    return PodInfo("jetscale", name, ready=bool(ready_since), deleting=deleting, conditions=conditions)


def test_a_forward_to_a_deleted_or_terminating_pod_is_no_longer_ready() -> None:
    state = up_done()
    deleted = reduce(state, ev.KubeChanged("pods", "DELETED", pod("back-1")))
    assert deleted.forwards["backend"].status == "waiting" and deleted.forwards["backend"].pod == ""
    assert deleted.forwards["frontend"].status == "ready"
    terminating = reduce(
        state, ev.KubeBatch((ev.KubeChanged("pods", "MODIFIED", pod("front-1", deleting=True)),))
    )
    assert terminating.forwards["frontend"].status == "waiting"
    relisted = reduce(state, ev.KubeSynced("pods", (pod("back-1"), pod("front-2"))))
    assert relisted.forwards["frontend"].status == "waiting"
    assert relisted.forwards["backend"].status == "ready"
    # the forwarder's next view (the replacement pod) is taken as it is
    again = ForwardView("frontend", 3000, "jetscale-frontend", 3000, "ready", "front-2", 3000)
    assert reduce(relisted, ev.ForwardChanged(again)).forwards["frontend"].pod == "front-2"


def warning(name: str, kind: str, obj: str, seen: str) -> KubeEventInfo:
    return KubeEventInfo("jetscale", name, "Warning", "Unhealthy", "probe failed", kind, obj, 1, seen)


def test_warnings_of_gone_objects_and_of_start_up_probes_are_not_counted_but_listed() -> None:
    state = apply(
        State(),
        ev.KubeSynced("pods", (pod("back-2", ready_since="2025-01-01T10:00:10Z"), pod("front-1"))),
        ev.KubeSynced(
            "events",
            (
                warning("gone", "Pod", "back-1", "2025-01-01T09:59:00Z"),
                warning("startup", "Pod", "back-2", "2025-01-01T10:00:05Z"),
                warning("same-second", "Pod", "back-2", "2025-01-01T10:00:10.500000Z"),
                warning("later", "Pod", "back-2", "2025-01-01T10:05:00Z"),
                warning("not-ready", "Pod", "front-1", "2025-01-01T09:00:00Z"),
                warning("deployment-gone", "Deployment", "old", "2025-01-01T09:00:00Z"),
                warning("replicaset", "ReplicaSet", "jetscale-backend-abc", "2025-01-01T09:00:00Z"),
            ),
        ),
    )
    counted = sorted(e.name for e in headline_warnings(state))
    assert counted == ["later", "not-ready", "replicaset", "same-second"]
    assert len(state.kube_events) == 7, "every event stays listed"


def test_redeploys_followed_through_skaffolds_event_api_move_the_steps_too() -> None:
    state = apply(
        up_done(),
        ev.DeployChannel("events", "event API v2 on 127.0.0.1:50052", at=10.0),
        ev.DeployOutput("Generating tags...", at=20.0),  # with the API, lines are not read for progress
    )
    assert statuses(state)["deploy"] is StepStatus.OK
    state = reduce(state, ev.SkaffoldTask("DevLoop", 1, "InProgress", at=20.0))
    deploy = state.step("deploy")
    assert deploy is not None and deploy.status is StepStatus.RUNNING
    assert deploy.message == "iteration 2: building"
    state = apply(
        state,
        ev.SkaffoldTask("StatusCheck", 1, "InProgress", at=21.0),
        ev.SkaffoldStatusCheck("deployment/jetscale-backend", "Succeeded", at=22.0),
        ev.SkaffoldTask("StatusCheck", 1, "Succeeded", at=22.0),
        ev.SkaffoldTask("DevLoop", 1, "Succeeded", at=22.0),
    )
    assert statuses(state)["deploy"] is StepStatus.OK and statuses(state)["ready"] is StepStatus.OK
    assert state.step("deploy").message == "redeployed (iteration 2)"  # type: ignore[union-attr]
    state = apply(
        state,
        ev.SkaffoldTask("DevLoop", 2, "InProgress", at=30.0),
        ev.SkaffoldTask("Build", 2, "Failed", at=31.0, error="backend: exit status 1"),
    )
    deploy = state.step("deploy")
    assert deploy is not None and deploy.status is StepStatus.FAILED
    assert deploy.error.startswith("iteration 3 failed:") and "backend: exit status 1" in deploy.error
