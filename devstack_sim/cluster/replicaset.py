"""The ReplicaSet controller: keeps `replicas` pods from the template and reports their state."""

from __future__ import annotations

import copy
import time
from typing import Any

from devstack_sim import defaults
from devstack_sim.errors import ApiError
from devstack_sim.resources import PODS, REPLICASETS
from devstack_sim.store import Change, Obj, Store, random_suffix

from . import podutil
from .events import NORMAL, REPLICASET_CONTROLLER, WARNING, EventRecorder
from .index import ObjectIndex
from .meta import controller_ref, owner_reference, parse_time, spec_changed
from .workqueue import WorkQueue

BURST_REPLICAS = 500  # pods created or deleted per sync, as kube-controller-manager's burstReplicas
_CREATE_SLICE_SECONDS = 0.02

_Key = tuple[str, str]


def pod_from_template(rs: Obj, name: str) -> Obj:
    """A new pod for a ReplicaSet, with the defaults the API server would fill in."""
    template = copy.deepcopy(rs["spec"].get("template") or {})
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    if spec.get("serviceAccount") and not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    pod: Obj = {
        "metadata": {
            "name": name,
            "generateName": f"{rs['metadata']['name']}-",
            "namespace": rs["metadata"]["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "annotations": dict(meta.get("annotations") or {}),
            "ownerReferences": [owner_reference(rs)],
        },
        "spec": spec,
    }
    defaults.apply(PODS, pod)  # what the API server fills in on create
    return pod


def _deletion_rank(pod: Obj) -> tuple[Any, ...]:
    """Sort key: the pods to delete first come first (unscheduled, pending, unready, restarted, newest)."""
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(pod.get("status", {}).get("phase", ""), 0)
    created = parse_time(pod["metadata"].get("creationTimestamp")) or 0.0
    return (
        bool(pod.get("spec", {}).get("nodeName")),
        phase_rank,
        podutil.is_ready(pod),
        -podutil.restart_count(pod),
        -created,
    )


class ReplicaSetController:
    """Reconciles ReplicaSets; pods are found through an index by controller uid."""

    def __init__(self, store: Store, recorder: EventRecorder, pods: ObjectIndex):
        self._store = store
        self._events = recorder
        self._pods = pods
        self.queue: WorkQueue[_Key] = WorkQueue("replicaset", self._sync, delay=0.01)

    def on_replicaset(self, change: Change) -> None:
        """Queue a changed ReplicaSet (not for our own status writes)."""
        if change.type == "DELETED":
            return
        if spec_changed(change):
            meta = change.obj["metadata"]
            self.queue.add((meta["namespace"], meta["name"]))

    def on_pod(self, change: Change) -> None:
        """Queue the ReplicaSet that controls a changed pod."""
        for obj in (change.obj, change.old):
            ref = controller_ref(obj) if obj is not None else None
            if ref and ref.get("kind") == "ReplicaSet":
                self.queue.add((obj["metadata"]["namespace"], str(ref["name"])))  # type: ignore[index]
                return

    def _sync(self, key: _Key) -> None:
        rs = self._store.get(REPLICASETS, *key)
        if rs is None:
            return
        uid = rs["metadata"]["uid"]
        active = [p for p in self._pods.owned_by(uid) if podutil.is_active(p)]
        wanted = int(rs["spec"].get("replicas", 1))
        diff = wanted - len(active)
        if diff and not rs["metadata"].get("deletionTimestamp"):
            if diff > 0:
                self._create(rs, min(diff, BURST_REPLICAS))
            else:
                self._delete(rs, active, min(-diff, BURST_REPLICAS))
            if abs(diff) > BURST_REPLICAS:
                self.queue.add(key)
            active = [p for p in self._pods.owned_by(uid) if podutil.is_active(p)]
        self._update_status(key, rs, active)

    def _create(self, rs: Obj, count: int) -> None:
        namespace, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        deadline = time.monotonic() + _CREATE_SLICE_SECONDS
        for _ in range(count):
            if time.monotonic() > deadline:
                self.queue.add((namespace, name))  # the rest next tick: keep the loop responsive
                return
            pod_name = f"{name}-{random_suffix()}"
            while self._store.get(PODS, namespace, pod_name) is not None:
                pod_name = f"{name}-{random_suffix()}"
            try:
                self._store.create(PODS, pod_from_template(rs, pod_name))
            except ApiError as exc:
                self._events.record(
                    rs, WARNING, "FailedCreate", f"Error creating: {exc.message}", REPLICASET_CONTROLLER
                )
                return
            self._events.record(
                rs, NORMAL, "SuccessfulCreate", f"Created pod: {pod_name}", REPLICASET_CONTROLLER
            )

    def _delete(self, rs: Obj, active: list[Obj], count: int) -> None:
        for pod in sorted(active, key=_deletion_rank)[:count]:
            meta = pod["metadata"]
            try:
                self._store.delete(PODS, meta["namespace"], meta["name"])
            except ApiError:
                continue
            self._events.record(
                rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta['name']}", REPLICASET_CONTROLLER
            )

    def _update_status(self, key: _Key, rs: Obj, pods: list[Obj]) -> None:
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        now = time.time()
        template_labels = ((rs["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        wanted_labels = template_labels.items()
        ready = [p for p in pods if podutil.is_ready(p)]
        available = (
            len(ready) if min_ready <= 0 else sum(1 for p in ready if podutil.is_available(p, min_ready, now))
        )
        if available < len(ready):
            self.queue.add_after(key, 1.0)  # a pod becomes available once minReadySeconds pass
        labeled = sum(1 for p in pods if (p["metadata"].get("labels") or {}).items() >= wanted_labels)
        status: dict[str, Any] = dict(rs.get("status") or {})
        status.update(
            {
                "replicas": len(pods),
                "fullyLabeledReplicas": labeled,
                "readyReplicas": len(ready),
                "availableReplicas": available,
                "observedGeneration": rs["metadata"].get("generation", 1),
            }
        )
        for field in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
            if not status[field]:
                del status[field]  # zero counts are omitted, as the API's omitempty does
        if status == rs.get("status"):
            return

        def apply(obj: Obj) -> None:
            obj["status"] = status

        self._store.mutate(REPLICASETS, key[0], key[1], apply)
