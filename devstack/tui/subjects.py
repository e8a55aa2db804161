"""What `enter` explains: a pod, workload, service, forward, check or event, by key."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.explain import explain_check, explain_forward
from devstack.core.health import Explanation, explain_service
from devstack.core.model import Level
from devstack.tui.frames import Frame

KINDS = ("pod", "workload", "service", "forward", "check", "event")


@dataclass(frozen=True)
class Subject:
    """A thing on screen: `kind` (one of `KINDS`) and its key in the state."""

    kind: str
    key: str

    @property
    def name(self) -> str:
        """The key without its namespace."""
        return self.key.split("/", 1)[-1] if self.kind != "check" else self.key


def gone(subject: Subject) -> Explanation:
    """The verdict for something that is no longer in the state."""
    return Explanation(
        Level.PROGRESSING, "Gone", f"{subject.kind} {subject.name} is gone (deleted or replaced)."
    )


def explain(frame: Frame, subject: Subject) -> tuple[str, Explanation]:
    """(title, explanation) of a subject in this frame."""
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
    if subject.kind == "check":
        result = next((r for r in state.checks if r.name == subject.key), None)
        running = subject.key in state.checks_running
        if result is None:
            return f"Check {subject.key}", explain_check_missing(subject, running)
        return f"Check {subject.key}", explain_check(result, running)
    return _explain_event(frame, subject)


def explain_check_missing(subject: Subject, running: bool) -> Explanation:
    """A check that has not reported yet."""
    if running:
        return Explanation(Level.PROGRESSING, "Running", f"Check {subject.key} is running.")
    return gone(subject)


def _explain_event(frame: Frame, subject: Subject) -> tuple[str, Explanation]:
    """An event: the verdict of the pod it is about, else the event itself."""
    event = frame.state.kube_events.get(subject.key)
    if event is None:
        return f"Event {subject.name}", gone(subject)
    pod_key = f"{event.namespace}/{event.object_name}"
    if event.object_kind == "Pod" and pod_key in frame.pods:
        return f"Pod {event.object_name}", frame.pods[pod_key]
    level = Level.WARNING if event.warning else Level.OK
    return (
        f"{event.object_kind} {event.object_name}",
        Explanation(
            level,
            event.reason,
            event.message,
            (f"event {event.reason} (x{event.count}), last seen {event.last_seen}",),
        ),
    )
