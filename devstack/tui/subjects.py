"""What `enter` explains: a pod, workload, service, forward, check or event, by key.

An event opens as itself — its message, count, first and last seen, the object it is about —
with that object's own explanation below it (`Detail.about`).
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.explain import explain_check, explain_forward, workload_of
from devstack.core.health import Explanation, explain_service
from devstack.core.kube import KubeEventInfo
from devstack.core.model import Level
from devstack.tui.format import age, parse_time
from devstack.tui.frames import Frame

KINDS = ("pod", "workload", "service", "forward", "check", "event")
# The kinds of an event's object that have an explanation of their own, and the subject kind.
EXPLAINED_OBJECTS = {"Pod": "pod", "Deployment": "workload", "Service": "service"}


@dataclass(frozen=True)
class Subject:
    """A thing on screen: `kind` (one of `KINDS`) and its key in the state."""

    kind: str
    key: str

    @property
    def name(self) -> str:
        """The key without its namespace."""
        return self.key.split("/", 1)[-1] if self.kind != "check" else self.key


@dataclass(frozen=True)
class Detail:
    """What the detail view shows: a title and its verdict, and for an event the explanation of
    the object it is about (`about`: its title and verdict)."""

    title: str
    verdict: Explanation
    about: tuple[str, Explanation] | None = None


def gone(subject: Subject) -> Explanation:
    """The verdict for something that is no longer in the state."""
    return Explanation(
        Level.PROGRESSING, "Gone", f"{subject.kind} {subject.name} is gone (deleted or replaced)."
    )


def explain(frame: Frame, subject: Subject) -> Detail:
    """The detail of a subject in this frame."""
    if subject.kind == "event":
        return _event_detail(frame, subject)
    title, verdict = _explain_object(frame, subject)
    return Detail(title, verdict)


def _explain_object(frame: Frame, subject: Subject) -> tuple[str, Explanation]:
    state = frame.state
    if subject.kind == "pod":
        verdict = frame.pods.get(subject.key)
        return f"Pod {subject.name}", verdict or gone(subject)
    if subject.kind == "workload":
        found = next((v for d, v in frame.workloads if d.key == subject.key), None)
        return f"Deployment {subject.name}", found or gone(subject)
    if subject.kind == "service":
        service = state.services.get(subject.key)
        return f"Service {subject.name}", explain_service(state, service) if service else gone(subject)
    if subject.kind == "forward":
        view = state.forwards.get(subject.key)
        title = f"Forward localhost:{view.local_port}" if view else f"Forward {subject.key}"
        return title, explain_forward(state, view) if view else gone(subject)
    result = next((r for r in state.checks if r.name == subject.key), None)
    running = subject.key in state.checks_running
    if result is None:
        return f"Check {subject.key}", explain_check_missing(subject, running)
    return f"Check {subject.key}", explain_check(result, running)


def explain_check_missing(subject: Subject, running: bool) -> Explanation:
    """A check that has not reported yet."""
    if running:
        return Explanation(Level.PROGRESSING, "Running", f"Check {subject.key} is running.")
    return gone(subject)


def event_object(event: KubeEventInfo) -> Subject | None:
    """The subject an event is about, when that kind has an explanation (pod, deployment, service)."""
    kind = EXPLAINED_OBJECTS.get(event.object_kind)
    return Subject(kind, f"{event.namespace}/{event.object_name}") if kind else None


def _seen(stamp: str, now: float) -> str:
    moment = parse_time(stamp)
    return "unknown" if moment is None else f"{age(now - moment)} ago ({stamp})"


def _event_detail(frame: Frame, subject: Subject) -> Detail:
    """The event itself, then the explanation of the object it is about."""
    event = frame.state.kube_events.get(subject.key)
    if event is None:
        return Detail(f"Event {subject.name}", gone(subject))
    what = f"{event.object_kind} {event.object_name}".strip()
    times = "once" if event.count == 1 else f"{event.count} times"
    evidence = (
        f"object: {what} (namespace {event.namespace})",
        f"count: {event.count} ({times})",
        f"first seen: {_seen(event.first_seen or event.last_seen, frame.now)}",
        f"last seen: {_seen(event.last_seen, frame.now)}",
    )
    verdict = Explanation(
        Level.WARNING if event.warning else Level.OK,
        event.reason or event.type,
        event.message or "(no message)",
        evidence,
    )
    title = f"{event.type} event {event.reason} on {what}"
    target = event_object(event)
    about = _explain_object(frame, target) if target is not None else None
    return Detail(title, verdict, about)


def pod_of(frame: Frame, subject: Subject) -> str | None:
    """The pod a subject means for `l` and `x`: the pod itself, or the pod an event is about."""
    if subject.kind == "pod":
        return subject.key
    if subject.kind == "event":
        event = frame.state.kube_events.get(subject.key)
        target = event_object(event) if event is not None else None
        return target.key if target is not None and target.kind == "pod" else None
    if subject.kind == "workload":
        deployment = frame.state.deployments.get(subject.key)
        if deployment is None:
            return None
        pods = [
            key
            for key, pod in frame.state.pods.items()
            if (owner := workload_of(frame.state, pod)) is not None and owner.key == deployment.key
        ]
        troubled = [key for key in pods if key in frame.pods and frame.pods[key].level is not Level.OK]
        return next(iter(troubled or sorted(pods)), None)
    return None
