"""Why is this red? Health levels and plain-words explanations for pods, workloads and services.

Pure functions of the summaries in the state: every view (TUI, headless text, JSON) shows the
same explanation for the same object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from devstack.core.images import judge_image, known_images, repository
from devstack.core.kube import ContainerInfo, DeploymentInfo, KubeEventInfo, PodInfo, ServiceInfo, selects
from devstack.core.model import Level
from devstack.core.state import State

PROBE_FAILURES_BEFORE_WARNING = 3  # the probes' default failureThreshold
_PULL = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "ImageInspectError"}
_EXIT_CODES = {
    1: "the program reported an error",
    2: "the program was started with wrong arguments",
    126: "the command could not be executed",
    127: "the command was not found in the image",
    137: "it was killed (SIGKILL: out of memory, or killed from outside)",
    139: "it crashed with a segmentation fault",
    143: "it was stopped with SIGTERM",
}


@dataclass(frozen=True)
class Explanation:
    """A health verdict a newcomer understands.

    Attributes:
        level: ok, progressing, warning or error.
        reason: The short machine word (CrashLoopBackOff, ImagePullBackOff, Ready, ...).
        summary: One or two plain sentences saying what is wrong.
        evidence: The facts behind it (container state, exit codes, events, log lines).
        action: What to do next.
    """

    level: Level
    reason: str
    summary: str
    evidence: tuple[str, ...] = ()
    action: str = ""


def worst(levels: Iterable[Level]) -> Level:
    """The most severe of some levels (OK when there are none)."""
    return max(levels, key=lambda level: level.rank, default=Level.OK)


def events_for(state: State, kind: str, namespace: str, name: str) -> list[KubeEventInfo]:
    """Events about one object, newest first."""
    found = [
        e
        for e in state.kube_events.values()
        if e.object_kind == kind and e.object_name == name and e.namespace == namespace
    ]
    return sorted(found, key=lambda e: e.last_seen, reverse=True)


def _event_lines(events: list[KubeEventInfo], reasons: set[str], limit: int = 3) -> tuple[str, ...]:
    picked = [e for e in events if e.reason in reasons][:limit]
    return tuple(f"event {e.reason} (x{e.count}): {e.message}" for e in picked)


def _exit_meaning(code: int | None) -> str:
    if code is None:
        return ""
    return _EXIT_CODES.get(code, "the program failed")


def _log_lines(state: State, pod: PodInfo) -> tuple[str, ...]:
    tail = state.logs.get(pod.key)
    if tail is None or not tail.lines:
        return ()
    which = "previous log" if tail.previous else "log"
    return tuple(f"{which} [{tail.container}]: {line}" for line in tail.lines[-5:])


def _image_pull(
    state: State, pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo], cluster: str
) -> Explanation:
    """Why an image cannot be pulled: not loaded (a known image), a typo of a known name, or unknown.

    `kind load` is offered only for an image devstack knows exists (built, or running elsewhere),
    never for a name that looks misspelled.
    """
    judged = judge_image(c.image, known_images(state))
    repo = repository(c.image)
    evidence = (
        f"container {c.name}: waiting ({c.reason}): {c.message}".rstrip(": "),
        *_event_lines(events, {"Failed", "BackOff"}),
    )
    cant = f"Kubernetes cannot pull the image {c.image} for container {c.name}."
    if judged.kind == "misspelled":
        return Explanation(
            Level.ERROR,
            c.reason,
            f"{cant} Its name looks misspelled: {repo} is not {judged.known} ({judged.source}).",
            (*evidence, f"known image: {judged.known} ({judged.source})"),
            f"fix the image name ({repo} → {judged.known}) in the chart values or skaffold.yaml, "
            "then redeploy",
        )
    load = f"`kind load docker-image {c.image} --name {cluster}`" if cluster else "load it into the cluster"
    if judged.kind == "not-loaded":
        return Explanation(
            Level.ERROR,
            c.reason,
            f"{cant} {judged.known} is {judged.source}, but the cluster does not have {c.image}: "
            "it was not built with this tag or not loaded into the cluster.",
            (*evidence, f"known image: {judged.known} ({judged.source})"),
            f"build it (`skaffold build`) and {load}; `skaffold dev` loads what it builds",
        )
    return Explanation(
        Level.ERROR,
        c.reason,
        f"{cant} No image of that name was built or runs here: is the name (and tag) spelled right, "
        "and was it built and loaded into kind?",
        evidence,
        "check the image name in the chart values / skaffold.yaml; once it is right, build it "
        f"(`skaffold build`) and {load}",
    )


def _crash(state: State, pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo]) -> Explanation:
    if c.last_reason == "OOMKilled":
        return _oom(pod, c, events)
    code = c.last_exit_code
    meaning = _exit_meaning(code)
    evidence = (
        f"container {c.name}: CrashLoopBackOff, restarted {c.restart_count} times",
        f"last exit code {code} ({c.last_reason or 'Error'}): {meaning}",
        *_log_lines(state, pod),
        *_event_lines(events, {"BackOff"}),
    )
    return Explanation(
        Level.ERROR,
        "CrashLoopBackOff",
        f"Container {c.name} keeps crashing: it exited with code {code} ({meaning}) and Kubernetes "
        f"waits longer before each restart (restarted {c.restart_count} times).",
        evidence,
        f"read the last log lines (`kubectl logs {pod.name} -n {pod.namespace} -c {c.name} --previous`), "
        "fix the error, and redeploy",
    )


def _oom(pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo]) -> Explanation:
    limit = c.memory_limit or "its memory limit"
    return Explanation(
        Level.ERROR,
        "OOMKilled",
        f"Container {c.name} was killed for using more memory than {limit} allows "
        f"(exit code {c.last_exit_code or c.exit_code or 137}), restarted {c.restart_count} times.",
        (
            f"container {c.name}: last terminated OOMKilled, memory limit {limit}",
            *_event_lines(events, {"BackOff", "OOMKilling"}),
        ),
        "raise resources.limits.memory in the chart values, or find why the program uses that much memory",
    )


def _config_error(pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo]) -> Explanation:
    message = c.message or "a referenced Secret or ConfigMap is missing"
    secret = re.search(r'secret "([^"]+)"', message) or re.search(r"in Secret \S+/(\S+)", message)
    action = "create the missing Secret/ConfigMap or key, or fix the reference in the chart values"
    if secret:
        action = (
            f"create Secret {secret.group(1)} in namespace {pod.namespace}, or if it comes from an "
            f"ExternalSecret check that it synced (`kubectl get externalsecret -n {pod.namespace}`)"
        )
    return Explanation(
        Level.ERROR,
        c.reason,
        f"Container {c.name} cannot start because its configuration refers to something missing: {message}.",
        (f"container {c.name}: waiting ({c.reason}): {message}", *_event_lines(events, {"Failed"})),
        action,
    )


def _not_ready(pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo]) -> Explanation:
    probe = [e for e in events if e.reason == "Unhealthy" and "Readiness" in e.message]
    if not probe or probe[0].count < PROBE_FAILURES_BEFORE_WARNING:
        # A probe or two failing while the program starts listening is normal start-up.
        return Explanation(
            Level.PROGRESSING,
            "Starting",
            f"Container {c.name} is running and waiting for its readiness probe to pass.",
            (f"container {c.name}: running, not ready yet", *_event_lines(events, {"Unhealthy"})),
        )
    status = re.search(r"statuscode: (\d+)", probe[0].message)
    what = f"answers HTTP {status.group(1)}" if status else "does not answer"
    return Explanation(
        Level.WARNING,
        "ReadinessProbeFailing",
        f"Container {c.name} is running but its readiness probe fails (it {what}), so its Service "
        "sends it no traffic.",
        (f"container {c.name}: running, not ready", *_event_lines(events, {"Unhealthy"})),
        "check the probe path and port in the chart values against what the app serves "
        f"(`kubectl describe pod {pod.name} -n {pod.namespace}`)",
    )


def _unschedulable(pod: PodInfo, events: list[KubeEventInfo]) -> Explanation:
    condition = pod.condition("PodScheduled")
    message = condition.message if condition else ""
    return Explanation(
        Level.ERROR,
        "Unschedulable",
        f"No node can run pod {pod.name}: {message or 'the scheduler found no fitting node'}.",
        _event_lines(events, {"FailedScheduling"}) or (f"condition PodScheduled=False: {message}",),
        "lower the resource requests in the chart values, or fix nodeSelector/affinity/tolerations",
    )


def explain_pod(state: State, pod: PodInfo, cluster_name: str = "") -> Explanation:
    """The health of one pod, with the evidence and the next action."""
    events = events_for(state, "Pod", pod.namespace, pod.name)
    if pod.deleting:
        return Explanation(Level.PROGRESSING, "Terminating", f"Pod {pod.name} is shutting down.")
    if pod.phase == "Succeeded":
        return Explanation(Level.OK, "Completed", f"Pod {pod.name} ran to completion.")
    scheduled = pod.condition("PodScheduled")
    if scheduled is not None and scheduled.status == "False" and scheduled.reason == "Unschedulable":
        return _unschedulable(pod, events)
    verdicts = [_explain_container(state, pod, c, events, cluster_name) for c in pod.containers]
    bad = [v for v in verdicts if v is not None]
    if bad:
        return max(bad, key=lambda v: v.level.rank)
    if pod.phase == "Failed":
        return Explanation(Level.ERROR, "Failed", f"Pod {pod.name} failed.", ())
    if pod.ready:
        return Explanation(Level.OK, "Ready", f"Pod {pod.name} is running and ready.")
    return Explanation(Level.PROGRESSING, pod.phase, f"Pod {pod.name} is {pod.phase.lower()}.")


def _explain_container(
    state: State, pod: PodInfo, c: ContainerInfo, events: list[KubeEventInfo], cluster_name: str
) -> Explanation | None:
    if c.reason in _PULL:
        return _image_pull(state, pod, c, events, cluster_name)
    if c.reason == "CrashLoopBackOff":
        return _crash(state, pod, c, events)
    if c.reason == "OOMKilled" or (c.state == "running" and c.last_reason == "OOMKilled" and not c.ready):
        return _oom(pod, c, events)
    if c.reason in ("CreateContainerConfigError", "CreateContainerError", "RunContainerError"):
        return _config_error(pod, c, events)
    if c.state == "waiting" and c.reason in ("ContainerCreating", "PodInitializing", ""):
        return Explanation(
            Level.PROGRESSING, c.reason or "Waiting", f"Container {c.name} is being created.", ()
        )
    if c.state == "terminated" and not c.init and c.exit_code not in (0, None):
        return _crash(state, pod, c, events)
    if c.state == "running" and not c.ready and not c.init:
        if c.restart_count >= 2 and c.last_exit_code not in (None, 0):
            # Between two crashes of a crash loop: the kubelet flips it to CrashLoopBackOff next.
            return _crash(state, pod, c, events)
        return _not_ready(pod, c, events)
    if c.restart_count and c.ready and (c.last_exit_code not in (None, 0) or c.last_reason == "OOMKilled"):
        return _recovered(state, pod, c)
    return None


def _last_termination(c: ContainerInfo) -> str:
    """How the container last stopped: `OOMKilled (exit code 137: it was killed ...)`."""
    code = c.last_exit_code
    meaning = _exit_meaning(code)
    exit_code = f"exit code {code}: {meaning}" if code is not None else "no exit code"
    return f"{c.last_reason or 'Error'} ({exit_code})"


def _recovered(state: State, pod: PodInfo, c: ContainerInfo) -> Explanation:
    """A container ready again after restarts: why it last stopped stays in its explanation."""
    oom = c.last_reason == "OOMKilled"
    message = f": {c.last_message}" if c.last_message else ""
    evidence = [f"container {c.name}: last terminated {_last_termination(c)}{message}"]
    if oom:
        evidence.append(f"container {c.name}: memory limit {c.memory_limit or 'not set'}")
    tail = state.logs.get(pod.key)
    if tail is not None and tail.container == c.name:
        evidence += _log_lines(state, pod)
    logs = f"`kubectl logs {pod.name} -n {pod.namespace} -c {c.name} --previous`"
    return Explanation(
        Level.WARNING,
        "Restarted",
        f"Container {c.name} is ready now but restarted {c.restart_count} times; "
        f"it last stopped with {_last_termination(c)}.",
        tuple(evidence),
        f"raise resources.limits.memory in the chart values, or find why it used that much ({logs})"
        if oom
        else f"look at {logs}",
    )


def pods_of(state: State, deployment: DeploymentInfo) -> list[PodInfo]:
    """The pods a Deployment's selector matches, in its namespace."""
    return [
        p
        for p in state.pods.values()
        if p.namespace == deployment.namespace and selects(deployment.selector, p.labels)
    ]


def explain_deployment(state: State, deployment: DeploymentInfo, cluster_name: str = "") -> Explanation:
    """The health of a Deployment: its rollout and the worst of its pods."""
    pods = pods_of(state, deployment)
    pod_verdicts = [explain_pod(state, p, cluster_name) for p in pods if not p.deleting]
    counts = f"{deployment.ready_replicas}/{deployment.replicas} ready"
    progressing = deployment.condition("Progressing")
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        inner = max(pod_verdicts, key=lambda v: v.level.rank, default=None)
        return Explanation(
            Level.ERROR,
            "ProgressDeadlineExceeded",
            f"The rollout of {deployment.name} did not finish within its progress deadline ({counts})."
            + (f" {inner.summary}" if inner and inner.level is not Level.OK else ""),
            (f"condition Progressing=False: {progressing.message}",) + (inner.evidence if inner else ()),
            inner.action if inner and inner.action else f"`kubectl describe deployment {deployment.name}`",
        )
    if deployment.ready:
        # Still healthy; but when its worst pod restarted, the reason stays visible here too.
        worst_pod = max(pod_verdicts, key=lambda v: v.level.rank, default=None)
        if worst_pod is None or worst_pod.reason != "Restarted":
            return Explanation(Level.OK, "Ready", f"{deployment.name}: {counts}.")
        return Explanation(
            Level.OK, "Ready", f"{deployment.name}: {counts}. {worst_pod.summary}", worst_pod.evidence
        )
    failure = deployment.condition("ReplicaFailure")
    if failure is not None and failure.status == "True":
        return Explanation(
            Level.ERROR, failure.reason, f"{deployment.name} cannot create pods: {failure.message}", ()
        )
    bad = [v for v in pod_verdicts if v.level is not Level.OK]
    if bad:
        inner = max(bad, key=lambda v: v.level.rank)
        return Explanation(
            inner.level,
            inner.reason,
            f"{deployment.name} ({counts}): {inner.summary}",
            inner.evidence,
            inner.action,
        )
    return Explanation(Level.PROGRESSING, "RollingOut", f"{deployment.name} is rolling out ({counts}).")


def explain_service(state: State, service: ServiceInfo) -> Explanation:
    """Does the Service have ready endpoints, and if not, why not."""
    if not service.selector:
        return Explanation(
            Level.OK, "NoSelector", f"Service {service.name} has no selector (manual endpoints)."
        )
    slices = [
        s
        for s in state.endpointslices.values()
        if s.namespace == service.namespace and s.service == service.name
    ]
    endpoints = [e for s in slices for e in s.endpoints]
    ready = [e for e in endpoints if e.ready]
    if ready:
        return Explanation(Level.OK, "Ready", f"Service {service.name}: {len(ready)} ready endpoint(s).")
    selector = ",".join(f"{k}={v}" for k, v in service.selector)
    matching = [
        p
        for p in state.pods.values()
        if p.namespace == service.namespace and selects(service.selector, p.labels)
    ]
    if not matching:
        return Explanation(
            Level.ERROR,
            "SelectorMatchesNothing",
            f"Service {service.name} selects pods with {selector}, but no pod has those labels, so "
            "nothing answers on it.",
            (f"selector {selector}", f"{len(state.pods)} pod(s) in the namespace, none matching"),
            "make the Service selector and the pod template labels agree (chart templates)",
        )
    return Explanation(
        Level.WARNING,
        "NoReadyEndpoints",
        f"Service {service.name} has {len(matching)} pod(s) behind it but none is ready, so connections "
        "to it fail or wait.",
        tuple(f"pod {p.name}: {'ready' if p.ready else 'not ready'}" for p in matching[:5]),
        "see why the pods are not ready (select them for details)",
    )
