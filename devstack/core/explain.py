"""Explanations for forwards and checks, the workload behind a pod, and the overall verdict.

Pure functions of the state (like `health.py`): the TUI's "why is this red?" view, and any other
front end, show the same sentence, evidence and fix for the same forward or check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from devstack.core.checks import CheckResult
from devstack.core.health import Explanation, explain_service, worst
from devstack.core.kube import DeploymentInfo, KubeEventInfo, PodInfo, selects
from devstack.core.model import Level, StepStatus
from devstack.core.portforward import ForwardView
from devstack.core.state import State
from devstack.core.tilt_explain import explain_tilt

FORWARD_LEVELS = {"ready": Level.OK, "waiting": Level.WARNING, "listening": Level.PROGRESSING}


def workload_of(state: State, pod: PodInfo) -> DeploymentInfo | None:
    """The Deployment whose selector matches the pod (None for bare pods)."""
    for deployment in sorted(state.deployments.values(), key=lambda d: d.name):
        if deployment.namespace == pod.namespace and selects(deployment.selector, pod.labels):
            return deployment
    return None


def forward_level(view: ForwardView) -> Level:
    """ok when ready, warning when waiting for an endpoint, error when it cannot serve."""
    return FORWARD_LEVELS.get(view.status, Level.ERROR)


def explain_forward(state: State, view: ForwardView) -> Explanation:
    """Why a localhost forward is (not) reaching its Service, with the service's own verdict."""
    local = f"localhost:{view.local_port}"
    counters = (
        f"{view.active} active, {view.connections} connection(s), "
        f"{view.bytes_in} B in, {view.bytes_out} B out"
    )
    error = (f"last error: {view.last_error}",) if view.last_error else ()
    if view.status == "ready":
        return Explanation(
            Level.OK,
            "Ready",
            f"{local} reaches {view.service}:{view.remote_port} through pod {view.pod} "
            f"(port {view.target_port}).",
            (counters, *error),
        )
    if view.status == "listening":
        return Explanation(
            Level.PROGRESSING, "Listening", f"{local} is bound; looking for a ready endpoint.", (counters,)
        )
    service = next(
        (s for s in state.services.values() if s.name == view.service),
        None,
    )
    if view.status == "waiting":
        inner = explain_service(state, service) if service is not None else None
        summary = (
            f"{local} is open but {view.service} has no ready endpoint, so new connections wait "
            "(and give up after the forward's wait time)."
        )
        if service is None:
            return Explanation(
                Level.WARNING,
                "NoService",
                f"{local} is open but Service {view.service} does not exist (yet).",
                (counters, *error),
                "deploy the stack (`u`), or fix the service name in the profile's forwards",
            )
        return Explanation(
            Level.WARNING,
            inner.reason if inner and inner.level is not Level.OK else "Waiting",
            summary + (f" {inner.summary}" if inner and inner.level is not Level.OK else ""),
            (counters, *error, *(inner.evidence if inner else ())),
            inner.action if inner and inner.action else "select the pods behind the Service for details",
        )
    return Explanation(
        Level.ERROR,
        "ForwardError",
        f"{local} cannot serve: {view.last_error or 'the local port could not be bound'}.",
        (counters, *error),
        "free the port (another process holds it) or change forwards.local_port in the profile, then `r`",
    )


def explain_check(result: CheckResult, running: bool = False) -> Explanation:
    """A check's verdict: the first failing step's detail, every step as evidence, its hint as fix."""
    evidence = tuple(
        f"{'✓' if step.ok else '✗'} {step.name}: {step.detail}"
        + (f" (hint: {step.hint})" if step.hint and not step.ok else "")
        for step in result.steps
    )
    if running:
        return Explanation(Level.PROGRESSING, "Running", f"Check {result.name} is running.", evidence)
    if result.ok:
        return Explanation(Level.OK, "Passed", f"Check {result.name} passed.", evidence)
    failed = next((s for s in result.steps if not s.ok), None)
    if failed is None:
        return Explanation(Level.ERROR, "NoSteps", f"Check {result.name} ran no step.", evidence)
    return Explanation(
        Level.ERROR,
        "CheckFailed",
        f"Check {result.name} failed at '{failed.name}': {failed.detail}",
        evidence,
        failed.hint,
    )


def overall(state: State, verdicts: Sequence[tuple[str, Explanation]]) -> tuple[Level, str]:
    """One verdict for the header: the worst of API, steps, workloads, forwards and checks.

    `verdicts` are the workloads' explanations (`workload_verdicts`), computed once by the caller.
    """
    if state.cluster.api == "unreachable":
        return Level.ERROR, f"API unreachable: {state.cluster.error}"
    failed = state.failed_step
    bad = [(n, v) for n, v in verdicts if v.level is not Level.OK]
    if state.deploy.tool == "tilt":  # Tilt's own red states (Tiltfile, builds) come first
        bad = [(n, v) for n, v in explain_tilt(state.tilt) if v.level is Level.ERROR] + bad
    failing_checks = [c.name for c in state.checks if not c.ok]
    forwards = [f for f in state.forwards.values() if forward_level(f) is not Level.OK]
    levels = [v.level for _, v in bad] + [forward_level(f) for f in forwards]
    levels += [Level.ERROR] * bool(failing_checks or failed)
    level = worst(levels)
    if bad:
        return level, "; ".join(f"{name}: {v.reason}" for name, v in bad[:3])
    if failed is not None:
        return Level.ERROR, f"{failed.name} failed"
    if failing_checks:
        return Level.ERROR, f"check failed: {', '.join(failing_checks)}"
    if forwards:
        return level, "; ".join(f"{f.name}: {f.status}" for f in forwards)
    if any(s.status is StepStatus.RUNNING for s in state.steps):
        return Level.PROGRESSING, "starting"
    if state.deploy.phase == "removed":
        return Level.PROGRESSING, "stack removed (down): press u to bring it up"
    if not verdicts:
        return Level.PROGRESSING, "no workloads yet"
    return Level.OK, f"{len(verdicts)} workload(s) healthy"


def _when(stamp: str) -> datetime | None:
    """An RFC 3339 time (UTC when it names no zone), or None."""
    try:
        moment = datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def still_holds(state: State, event: KubeEventInfo) -> bool:
    """Whether a warning still says something about the stack as it is now.

    It does not when its pod or Deployment is gone, or when it came from the start-up window of
    a pod that has been Ready since (a readiness probe failing before the app listened).
    Objects devstack does not watch (ReplicaSets, nodes) are kept.
    """
    key = f"{event.namespace}/{event.object_name}"
    if event.object_kind == "Deployment":
        return key in state.deployments
    if event.object_kind != "Pod":
        return True
    pod = state.pods.get(key)
    if pod is None:
        return False
    ready = pod.condition("Ready")
    if not pod.ready or ready is None:
        return True
    since, seen = _when(ready.since), _when(event.last_seen)
    return since is None or seen is None or seen > since


def headline_warnings(state: State) -> list[KubeEventInfo]:
    """The warning events that count now (`still_holds`); the rest stay listed, not counted."""
    return [e for e in state.kube_events.values() if e.warning and still_holds(state, e)]
