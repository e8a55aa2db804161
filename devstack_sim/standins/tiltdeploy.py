"""One resource's update for the tilt stand-in: build its images, load them into kind, inject them
into its objects and apply the objects; and what its pods say (the runtime monitor's view).

Objects are applied with server-side apply (field manager `tilt`) through the official client
(`apply.Kube`), in helm's install order, into the context's namespace when they name none. Tilt
labels every object `app.kubernetes.io/managed-by: tilt` and pod templates
`tilt.dev/pod-template-hash` (pkg/k8s). Images of `docker_build` refs are replaced by the built
`REF:tilt-<hash>` with `imagePullPolicy: IfNotPresent` (the image was loaded into the node).
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack_sim.standins import apply, tiltbuild
from devstack_sim.standins.tiltassembly import ImageBuild, containers, pod_template, repository
from devstack_sim.standins.tiltmodel import K8sResource
from devstack_sim.standins.tiltstate import PodInfo

MANAGED_BY = "app.kubernetes.io/managed-by"
POD_TEMPLATE_HASH = "tilt.dev/pod-template-hash"
_ERROR_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)

Log = Callable[[str], None]


class UpdateError(Exception):
    """The update failed (the message goes into the resource's build history)."""


@dataclass(frozen=True)
class Cluster:
    """Where resources go: the kube context, its kubeconfig and default namespace."""

    context: str
    kubeconfig: str | None
    namespace: str
    kind_cluster: str  # "" when the context is not a kind cluster


def _span(seconds: float) -> str:
    return f"{seconds:.2f}s"


def load_into_kind(cluster: Cluster, ref: str, log: Log) -> None:
    """`kind load docker-image --name CLUSTER REF`, as Tilt does for a kind cluster without a registry.

    Raises:
        UpdateError: kind is missing or fails.
    """
    kind = shutil.which("kind")
    if kind is None:
        raise UpdateError('exec: "kind": executable file not found in $PATH')
    log("     Loading image to KIND")
    command = [kind, "load", "docker-image", "--name", cluster.kind_cluster, ref]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    for line in (done.stdout + done.stderr).splitlines():
        log(f"     {line}")
    if done.returncode != 0:
        raise UpdateError(f"Error loading image to KIND: exit status {done.returncode}")


def inject(objects: list[dict[str, Any]], built: dict[str, str]) -> list[dict[str, Any]]:
    """Copies of the objects with built images swapped in and Tilt's labels added."""
    result = []
    for original in objects:
        obj = copy.deepcopy(original)
        obj.setdefault("metadata", {}).setdefault("labels", {})[MANAGED_BY] = "tilt"
        template = pod_template(obj)
        if template and obj.get("kind") != "Pod":
            for container in containers(obj):
                ref = built.get(repository(str(container.get("image") or "")))
                if ref is not None:
                    container["image"] = ref
                    container["imagePullPolicy"] = "IfNotPresent"
            spec_hash = hashlib.sha1(json.dumps(template, sort_keys=True).encode()).hexdigest()[:16]
            template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = spec_hash
        result.append(obj)
    return result


def update(
    home: Path,
    kube: apply.Kube,
    cluster: Cluster,
    resource: K8sResource,
    images: dict[str, ImageBuild],
    log: Log,
) -> str:
    """Build, push (kind load) and deploy one resource, logging Tilt's STEP lines; returns the pod
    template hash of its workload ("" when it has none).

    Raises:
        UpdateError: a build, the kind load or the apply failed.
    """
    from kubernetes.client import ApiException

    steps = len(resource.images) * 2 + 1 if cluster.kind_cluster else len(resource.images) + 1
    number = 0
    timings: list[tuple[str, float]] = []
    built: dict[str, str] = {}
    for ref in resource.images:
        number += 1
        title = f"Building Dockerfile: [{ref}]"
        log(f"STEP {number}/{steps} — {title}")
        started = time.monotonic()
        try:
            built[ref] = tiltbuild.build(home, images[ref], log)
        except tiltbuild.BuildError as err:
            raise UpdateError(str(err)) from None
        timings.append((title, time.monotonic() - started))
        if cluster.kind_cluster:
            number += 1
            title = f"Pushing {built[ref]}"
            log(f"STEP {number}/{steps} — {title}")
            started = time.monotonic()
            load_into_kind(cluster, built[ref], log)
            timings.append((title, time.monotonic() - started))
    number += 1
    log(f"STEP {number}/{steps} — Deploying")
    started = time.monotonic()
    log("     Injecting images into Kubernetes YAML")
    objects = inject(resource.objects, built)
    log("     Applying YAML to cluster")
    try:
        for obj in sorted(objects, key=apply.order_key):
            put(kube, obj, apply.ref_of(obj, cluster.namespace, kube))
    except ApiException as err:
        raise UpdateError(_api_message(err)) from None
    log("     Objects applied to cluster:")
    for name in resource.display_names:
        log(f"       → {name}")
    timings.append(("Deploying", time.monotonic() - started))
    log("")
    for index, (title, took) in enumerate(timings, 1):
        log(f"     Step {index} - {_span(took)} ({title})")
    log(f"     DONE IN: {_span(sum(t for _, t in timings))}")
    log("")
    workload = next((o for o in objects if pod_template(o) and o.get("kind") != "Pod"), None)
    return template_hash(workload) if workload is not None else ""


def put(kube: apply.Kube, obj: dict[str, Any], target: apply.ObjectRef) -> None:
    """Create or update one object so that it ends up as rendered: what the last update set and
    this one leaves out goes away (Tilt's apply). The simulator's server-side apply keeps fields
    an applier stopped sending, so an existing object gets a JSON merge patch instead (lists such
    as containers and env are replaced whole); a missing one is created by server-side apply."""
    if kube.get(target) is not None:
        kube.request(
            "PATCH", kube.path(target), body=obj, content_type="application/merge-patch+json",
            query=[("fieldManager", "tilt")],
        )  # fmt: skip
        return
    kube.request(
        "PATCH", kube.path(target), body=json.dumps(obj), content_type="application/apply-patch+yaml",
        query=[("fieldManager", "tilt"), ("force", "true")],
    )  # fmt: skip


def delete(kube: apply.Kube, resource: K8sResource, namespace: str, log: Log) -> None:
    """Delete a resource's objects, last first (failures are logged, not raised)."""
    for obj in reversed(resource.objects):
        try:
            kube.delete(apply.ref_of(obj, namespace, kube))
        except Exception as err:  # noqa: BLE001 - reported in the resource's log, as Tilt does
            log(f"Deleting {obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}: {err}")


def _api_message(err: Any) -> str:
    try:
        return str(json.loads(err.body or "{}").get("message") or err.reason)
    except (TypeError, ValueError):
        return str(err.reason or err)


def _selector(workload: dict[str, Any]) -> str:
    if workload.get("kind") == "Pod":
        return ""
    labels = ((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if workload.get("kind") == "CronJob":
        labels = (pod_template(workload).get("metadata") or {}).get("labels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def template_hash(workload: dict[str, Any]) -> str:
    """The `tilt.dev/pod-template-hash` label Tilt put on the workload's pod template ("" if none)."""
    return str(
        ((pod_template(workload).get("metadata") or {}).get("labels") or {}).get(POD_TEMPLATE_HASH) or ""
    )


def newest_pod(
    kube: apply.Kube, workload: dict[str, Any], namespace: str, running: bool = False, spec_hash: str = ""
) -> dict[str, Any] | None:
    """The newest pod of a workload that is not being deleted (with `running`, a Running one; with
    `spec_hash`, one of that pod template, as Tilt matches pods to the update that made them)."""
    meta = workload.get("metadata") or {}
    namespace = str(meta.get("namespace") or namespace)
    if workload.get("kind") == "Pod":
        pods = [
            p
            for p in kube.list(f"/api/v1/namespaces/{namespace}/pods")
            if p["metadata"]["name"] == meta.get("name")
        ]
    else:
        selector = _selector(workload)
        if spec_hash:
            selector = ",".join(s for s in (selector, f"{POD_TEMPLATE_HASH}={spec_hash}") if s)
        pods = kube.list(f"/api/v1/namespaces/{namespace}/pods", selector)
    live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
    if running:
        live = [p for p in live if (p.get("status") or {}).get("phase") == "Running"]
    if not live:
        return None
    return max(live, key=lambda p: str(p["metadata"].get("creationTimestamp")))


def pod_info(pod: dict[str, Any]) -> PodInfo:
    """Tilt's view of one pod: kubectl's status string, runtime status, restarts, error messages."""
    from datetime import datetime

    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    shown = str(status.get("reason") or phase)
    messages: list[str] = []
    runtime = "pending"
    error_container = ""
    restarts = 0
    statuses = list(status.get("containerStatuses") or [])
    ready = bool(statuses) and all(c.get("ready") for c in statuses)
    for c in list(status.get("initContainerStatuses") or []) + statuses:
        restarts += int(c.get("restartCount") or 0)
        state = c.get("state") or {}
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            shown = str(waiting["reason"])
            if waiting.get("message"):
                messages.append(str(waiting["message"]))
            if shown in _ERROR_WAITING:
                runtime, error_container = "error", str(c.get("name"))
        elif terminated:
            code = int(terminated.get("exitCode") or 0)
            shown = str(terminated.get("reason") or f"ExitCode:{code}")
            if code != 0:
                runtime, error_container = "error", str(c.get("name"))
    if phase == "Failed":
        runtime = "error"
    elif runtime != "error" and ((phase == "Running" and ready) or phase == "Succeeded"):
        runtime = "ok"
    created = meta.get("creationTimestamp")
    when = datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp() if created else None
    return PodInfo(
        name=str(meta.get("name")),
        created=when,
        status=shown,
        message="\n".join(messages),
        ready=ready,
        restarts=restarts,
        runtime=runtime,
        error_container=error_container or next((str(c.get("name")) for c in statuses), ""),
    )
