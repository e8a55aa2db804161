"""skaffold's status check (pkg/skaffold/kubernetes/status, pkg/diag/validator) for deployments.

Every deployment labelled with this run's `skaffold.dev/run-id` in the deploy namespaces is polled
until it rolls out (kubectl's rollout-status rules), hits an error skaffold does not retry (image pull
errors, CrashLoopBackOff, a terminated container, RunContainerError) or passes its deadline
(`progressDeadlineSeconds` when set and not 600, else `deploy.statusCheckDeadlineSeconds`, default
600). Lines: `Waiting for deployments to stabilize...`, ` - NS:deployment/NAME: <status>` (with
`    - NS:pod/POD: <status>` lines) when a pending status changes, ` - NS:deployment/NAME is ready.
[N/M deployment(s) still pending]`, ` - NS:deployment/NAME failed. Error: <msg>.`, and
`Deployments stabilized in <duration>`; a failure returns skaffold's `N/M deployment(s) failed`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devstack_sim.standins import godur
from devstack_sim.standins.apply import Kube
from devstack_sim.standins.events import FAILED, IN_PROGRESS, STATUS_CODES, SUCCEEDED, EventLog
from devstack_sim.standins.render import RUN_ID

DEFAULT_DEADLINE = 600
POLL_SECONDS = 0.5
REPORT_SECONDS = 1.0
_NON_RETRYABLE = ("image-pull", "run-container", "terminated", "restarting")

Out = Callable[[str], None]


class Cancelled(Exception):
    """The user interrupted the check (Ctrl-C / SIGTERM)."""


@dataclass
class Tracked:
    """One deployment being checked."""

    namespace: str
    name: str
    deadline: float
    message: str = ""
    reported: str = ""
    done: bool = False
    failed: str = ""
    failed_code: str = ""
    pods: list[tuple[str, str, str]] = field(default_factory=list)  # (pod, message, code)

    @property
    def code(self) -> str:
        """skaffold's status code for what is shown now (a pod's problem, else rollout pending)."""
        return STATUS_CODES.get(self.pods[0][2] if self.pods else "pending", "STATUSCHECK_UNKNOWN")

    @property
    def shown(self) -> str:
        """skaffold's resource string (`deployment/x` in `default`, else `NS:deployment/x`)."""
        return (
            f"deployment/{self.name}"
            if self.namespace == "default"
            else f"{self.namespace}:deployment/{self.name}"
        )


def _pod_shown(namespace: str, pod: str) -> str:
    return f"pod/{pod}" if namespace == "default" else f"{namespace}:pod/{pod}"


def rollout_status(deploy: dict[str, Any]) -> tuple[bool, str]:
    """kubectl's `rollout status` for a deployment, cleaned like skaffold: (done, message)."""
    meta, spec, status = deploy.get("metadata") or {}, deploy.get("spec") or {}, deploy.get("status") or {}
    name = str(meta.get("name"))
    if int(meta.get("generation") or 0) > int(status.get("observedGeneration") or 0):
        return False, "waiting for deployment spec update to be observed..."
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return False, f'deployment "{name}" exceeded its progress deadline'
    wanted = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    updated = int(status.get("updatedReplicas") or 0)
    replicas = int(status.get("replicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    if updated < wanted:
        return (
            False,
            f"waiting for rollout to finish: {updated} out of {wanted} new replicas have been updated...",
        )
    if replicas > updated:
        return (
            False,
            f"waiting for rollout to finish: {replicas - updated} old replicas are pending termination...",
        )
    if available < updated:
        return (
            False,
            f"waiting for rollout to finish: {available} of {updated} updated replicas are available...",
        )
    return True, f'deployment "{name}" successfully rolled out'


def pod_problem(pod: dict[str, Any]) -> tuple[str, str]:
    """skaffold's validator verdict on one pod: (message, code); ("", "ok") when healthy."""
    status = pod.get("status") or {}
    if status.get("phase") == "Succeeded":
        return "", "ok"
    for cond in status.get("conditions") or []:
        if cond.get("type") != "PodScheduled":
            continue
        if cond.get("status") == "False":
            return f"{cond.get('reason')}: {cond.get('message')}", "unschedulable"
        if cond.get("status") != "True":
            return str(cond.get("message") or ""), "unknown"
        for container in (status.get("initContainerStatuses") or []) + (
            status.get("containerStatuses") or []
        ):
            state = container.get("state") or {}
            name = container.get("name")
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None:
                reason = str(waiting.get("reason") or "")
                if reason == "PodInitializing":
                    return "", "ok"
                if reason == "ContainerCreating":
                    return f"creating container {name}", "creating"
                if reason == "CrashLoopBackOff":
                    return f"container {name} is backing off waiting to restart", "restarting"
                if reason in ("ErrImagePull", "ImagePullBackOff", "ErrImagePullBackOff"):
                    return (
                        f"container {name} is waiting to start: {container.get('image')} can't be pulled",
                        "image-pull",
                    )
                if reason == "RunContainerError" and "Error response from daemon:" in str(
                    waiting.get("message")
                ):
                    detail = str(waiting.get("message")).split("Error response from daemon:", 1)[1].strip()
                    return f"container {name} in error: {detail}", "run-container"
                text = f"&ContainerStateWaiting{{Reason:{reason},Message:{waiting.get('message') or ''},}}"
                return f"container {name} in error: {text}", "waiting-unknown"
            if terminated is not None:
                code = int(terminated.get("exitCode") or 0)
                if code != 0:
                    return f"container {name} terminated with exit code {code}", "terminated"
                return "", "ok"
    return "", "ok"


def _pod_event(events: list[dict[str, Any]], uid: str) -> str:
    """The newest Warning event of a pod, as skaffold reports it."""
    warnings = [
        e for e in events if (e.get("involvedObject") or {}).get("uid") == uid and e.get("type") != "Normal"
    ]
    if not warnings:
        return ""
    latest = max(warnings, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    if latest.get("reason") in ("FailedScheduling", "Unhealthy"):
        return str(latest.get("message") or "")
    return f"{latest.get('reason')}: {latest.get('message')}"


def _check(kube: Kube, tracked: Tracked) -> None:
    deploy = kube.request("GET", f"/apis/apps/v1/namespaces/{tracked.namespace}/deployments/{tracked.name}")
    done, message = rollout_status(deploy)
    if done:
        tracked.done, tracked.message, tracked.pods = True, message, []
        return
    selector = ",".join(
        f"{k}={v}"
        for k, v in (((deploy.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}).items()
    )
    pods = kube.list(f"/api/v1/namespaces/{tracked.namespace}/pods", selector)
    events: list[dict[str, Any]] | None = None
    tracked.pods = []
    for pod in sorted(pods, key=lambda p: str((p.get("metadata") or {}).get("name"))):
        text, code = pod_problem(pod)
        if code in ("ok", "unknown", "waiting-unknown", "unschedulable"):
            if events is None:
                events = kube.list(f"/api/v1/namespaces/{tracked.namespace}/events")
            text = _pod_event(events, str((pod.get("metadata") or {}).get("uid"))) or text
        if text:
            tracked.pods.append((str(pod["metadata"]["name"]), text, code))
    tracked.message = tracked.pods[0][1] if tracked.pods else message
    fatal = next((p for p in tracked.pods if p[2] in _NON_RETRYABLE), None)
    if fatal is not None:
        tracked.failed = fatal[1]
        tracked.failed_code = STATUS_CODES[fatal[2]]


def _report(tracked: Tracked) -> str:
    lines = [f" - {tracked.shown}: {tracked.message}"]
    lines += [f"    - {_pod_shown(tracked.namespace, pod)}: {text}" for pod, text, _ in tracked.pods]
    return "\n".join(lines)


def run(
    kube: Kube,
    namespaces: list[str],
    run_id: str,
    deadline_seconds: int,
    out: Out,
    stop: threading.Event,
    events: EventLog | None = None,
) -> str | None:
    """Check every deployment of this run; returns None when all are ready, else skaffold's error.

    With `events`, every status line printed for a deployment is also a `statusCheckSubtaskEvent`
    (InProgress with the message and status code, then Succeeded or Failed).

    Raises:
        Cancelled: `stop` was set.
    """
    emit = events.status_check if events is not None else (lambda *args: None)
    started = time.monotonic()
    out("Waiting for deployments to stabilize...")
    tracked: list[Tracked] = []
    for namespace in dict.fromkeys(namespaces):
        for deploy in kube.list(f"/apis/apps/v1/namespaces/{namespace}/deployments", f"{RUN_ID}={run_id}"):
            progress = (deploy.get("spec") or {}).get("progressDeadlineSeconds")
            seconds = (
                progress
                if progress and progress != DEFAULT_DEADLINE
                else deadline_seconds or DEFAULT_DEADLINE
            )
            tracked.append(Tracked(namespace, str(deploy["metadata"]["name"]), float(seconds)))
    pending = list(tracked)
    failed = 0
    last_report = time.monotonic()
    while pending:
        if stop.wait(POLL_SECONDS):
            raise Cancelled
        report_due = time.monotonic() - last_report >= REPORT_SECONDS
        for item in list(pending):
            _check(kube, item)
            overdue = time.monotonic() - started > item.deadline + POLL_SECONDS
            if not item.done and not item.failed and overdue:
                # skaffold's error text prefers a pod's problem over the deadline message
                deadline = f"could not stabilize within {godur.format_duration(item.deadline)}"
                item.failed = item.pods[0][1] if item.pods else deadline
                item.failed_code = STATUS_CODES["deadline"]
            if item.done:
                pending.remove(item)
                more = f" [{len(pending)}/{len(tracked)} deployment(s) still pending]" if pending else ""
                out(f" - {item.shown} is ready.{more}")
                emit(item.shown, SUCCEEDED, "", STATUS_CODES["ok"])
            elif item.failed:
                pending.remove(item)
                failed += 1
                if item.message and _report(item) != item.reported:
                    out(_report(item))
                out(f" - {item.shown} failed. Error: {item.failed}.")
                emit(item.shown, FAILED, item.failed, item.failed_code)
                pending.clear()  # skaffold cancels the other checks once one deployment failed
                break  # (the rest of this pass too: they are no longer pending)
            elif report_due and _report(item) != item.reported:
                item.reported = _report(item)
                out(item.reported)
                emit(item.shown, IN_PROGRESS, item.message, item.code)
        if report_due:
            last_report = time.monotonic()
    if failed:
        return f"{failed}/{len(tracked)} deployment(s) failed"
    out(f"Deployments stabilized in {godur.humanize(time.monotonic() - started)}")
    return None
