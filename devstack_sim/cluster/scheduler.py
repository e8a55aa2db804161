"""The scheduler: binds pods to the one node when their requests and selectors fit."""

from __future__ import annotations

from typing import Any

from devstack_sim.errors import ApiError
from devstack_sim.resources import NODES, PODS
from devstack_sim.store import Change, Obj, Store

from . import podutil
from .events import NORMAL, SCHEDULER, WARNING, EventRecorder
from .meta import match_selector, now_rfc3339, spec_changed
from .node import allocatable
from .workqueue import WorkQueue

_Key = tuple[str, str]


class Scheduler:
    """Assigns unscheduled pods to `node_name`, tracking what the bound pods request."""

    def __init__(self, store: Store, recorder: EventRecorder, node_name: str):
        self._store = store
        self._events = recorder
        self._node = node_name
        self._queue: WorkQueue[_Key] = WorkQueue("scheduler", self._schedule)
        self._bound: dict[_Key, tuple[int, int]] = {}
        self._cpu = 0
        self._memory = 0
        self._unschedulable: set[_Key] = set()

    def close(self) -> None:
        """Stop scheduling."""
        self._queue.close()

    def on_pod(self, change: Change) -> None:
        """Account for a pod change and queue unscheduled pods."""
        pod = change.obj
        meta = pod["metadata"]
        key = (meta["namespace"], meta["name"])
        holds = (
            change.type != "DELETED"
            and pod.get("spec", {}).get("nodeName") == self._node
            and not podutil.is_finished(pod)
        )
        if holds and key not in self._bound:
            self._account(key, podutil.requests(pod))
        elif not holds and key in self._bound:
            cpu, memory = self._bound.pop(key)
            self._cpu -= cpu
            self._memory -= memory
            for waiting in self._unschedulable:  # room was freed: try them again
                self._queue.add(waiting)
            self._unschedulable.clear()
        if change.type == "DELETED":
            self._unschedulable.discard(key)
        elif not pod.get("spec", {}).get("nodeName") and spec_changed(change):
            self._queue.add(key)

    def _account(self, key: _Key, request: tuple[int, int]) -> None:
        self._bound[key] = request
        self._cpu += request[0]
        self._memory += request[1]

    def _schedule(self, key: _Key) -> None:
        pod = self._store.get(PODS, *key)
        if pod is None or pod.get("spec", {}).get("nodeName"):
            return
        if podutil.is_terminating(pod):
            # The API server deletes a pod that no node ever ran without waiting for a kubelet.
            self._store.delete(PODS, key[0], key[1], grace=False)
            return
        if pod["spec"].get("schedulerName", "default-scheduler") != "default-scheduler":
            return
        node = self._store.get(NODES, "", self._node)
        if node is None:
            self._fail(key, pod, "0/0 nodes are available: no nodes available to schedule pods.")
            return
        reasons, preemption = self._misfits(pod, node)
        if reasons:
            summary = ", ".join(f"1 {reason}" for reason in sorted(reasons))
            self._fail(
                key,
                pod,
                f"0/1 nodes are available: {summary}. preemption: 0/1 nodes are available: 1 {preemption}.",
            )
            return
        self._unschedulable.discard(key)
        now = now_rfc3339()

        def bind(obj: Obj) -> None:
            obj["spec"]["nodeName"] = self._node
            _set_scheduled(obj, {"type": "PodScheduled", "status": "True", "lastProbeTime": None}, now)

        bound = self._store.mutate(PODS, key[0], key[1], bind)
        self._events.record(
            bound, NORMAL, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {self._node}", SCHEDULER
        )

    def _misfits(self, pod: Obj, node: Obj) -> tuple[list[str], str]:
        labels = node["metadata"].get("labels") or {}
        spec = pod.get("spec", {})
        selector = spec.get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in selector.items()) or not _affinity_fits(spec, labels):
            return [
                "node(s) didn't match Pod's node affinity/selector"
            ], "Preemption is not helpful for scheduling"
        cpu_limit, memory_limit, pod_limit = allocatable(node)
        cpu, memory = podutil.requests(pod)
        reasons = []
        if cpu and self._cpu + cpu > cpu_limit:
            reasons.append("Insufficient cpu")
        if memory and self._memory + memory > memory_limit:
            reasons.append("Insufficient memory")
        if len(self._bound) + 1 > pod_limit:
            reasons.append("Too many pods")
        return reasons, "No preemption victims found for incoming pod"

    def _fail(self, key: _Key, pod: Obj, message: str) -> None:
        self._unschedulable.add(key)
        now = now_rfc3339()
        cond = {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": message,
            "lastProbeTime": None,
        }

        def mark(obj: Obj) -> None:
            obj.setdefault("status", {}).setdefault("phase", "Pending")
            _set_scheduled(obj, cond, now)

        try:
            pod = self._store.mutate(PODS, key[0], key[1], mark)
        except ApiError:
            return
        self._events.record(pod, WARNING, "FailedScheduling", message, SCHEDULER)


def _set_scheduled(pod: Obj, cond: dict[str, Any], now: str) -> None:
    status = pod.setdefault("status", {})
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
    old = podutil.condition(pod, "PodScheduled")
    cond = dict(cond)
    same = old is not None and old.get("status") == cond["status"]
    cond["lastTransitionTime"] = old.get("lastTransitionTime") if same and old else now
    conditions.insert(0, cond)
    status["conditions"] = conditions
    status.setdefault("phase", "Pending")


def _affinity_fits(spec: dict[str, Any], labels: dict[str, str]) -> bool:
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    for term in terms:
        expressions = term.get("matchExpressions") or []
        if expressions and match_selector({"matchExpressions": expressions}, labels):
            return True
    return False
