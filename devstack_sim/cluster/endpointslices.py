"""The EndpointSlice controller: the pods behind each Service, at most 100 endpoints per slice.

Work is incremental: a pod change touches only the services of its namespace whose selector
matches it, and only the slice holding that pod is rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from devstack_sim.resources import ENDPOINTSLICES, SERVICES
from devstack_sim.store import Change, Obj, Store, random_suffix

from . import podutil
from .index import ObjectIndex
from .meta import match_map, owner_reference
from .workqueue import WorkQueue

MAX_ENDPOINTS_PER_SLICE = 100
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"

_Key = tuple[str, str]
_PortsKey = tuple[tuple[str, str, int, str], ...]


@dataclass
class _Slice:
    name: str
    ports: _PortsKey | None  # None: the placeholder of a service without endpoints
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Service:
    uid: str
    selector: dict[str, str]
    slices: dict[str, _Slice] = field(default_factory=dict)
    pod_slice: dict[str, str] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    full: bool = True


def _endpoint_ports(svc: Obj, pod: Obj) -> _PortsKey:
    named = podutil.container_ports(pod)
    ports = []
    for port in (svc.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            if target not in named:
                continue  # a named port this pod does not have: left out, as FindPort fails
            number = named[target]
        else:
            number = int(target)
        ports.append(
            (
                str(port.get("name") or ""),
                str(port.get("protocol") or "TCP"),
                number,
                str(port.get("appProtocol") or ""),
            )
        )
    return tuple(ports)


def _endpoint(svc: Obj, pod: Obj) -> dict[str, Any]:
    meta = pod["metadata"]
    ready = podutil.is_ready(pod)
    terminating = podutil.is_terminating(pod)
    publish = bool((svc.get("spec") or {}).get("publishNotReadyAddresses"))
    endpoint: dict[str, Any] = {
        "addresses": [pod["status"]["podIP"]],
        "conditions": {
            "ready": publish or (ready and not terminating),
            "serving": ready,
            "terminating": terminating,
        },
        "targetRef": {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
        },
    }
    if pod.get("spec", {}).get("nodeName"):
        endpoint["nodeName"] = pod["spec"]["nodeName"]
    return endpoint


class EndpointSliceController:
    """Keeps `discovery.k8s.io/v1` EndpointSlices for every Service with a selector."""

    def __init__(self, store: Store, pods: ObjectIndex):
        self._store = store
        self._pods = pods
        self._services: dict[_Key, _Service] = {}
        self._by_namespace: dict[str, set[str]] = {}
        self.queue: WorkQueue[_Key] = WorkQueue("endpointslice", self._sync, delay=0.01)

    # ------------------------------------------------------------------ changes
    def on_service(self, change: Change) -> None:
        """Start, restart or drop tracking a Service."""
        meta = change.obj["metadata"]
        key = (meta["namespace"], meta["name"])
        if change.type == "DELETED":
            self._services.pop(key, None)
            self._by_namespace.get(key[0], set()).discard(key[1])
            return
        old = change.old
        if (
            old is not None
            and old.get("spec") == change.obj.get("spec")
            and old["metadata"].get("labels") == meta.get("labels")
        ):
            return
        state = self._services.get(key)
        selector = dict((change.obj.get("spec") or {}).get("selector") or {})
        if not selector and state is None:
            return  # without a selector the controller manages no slices for the service
        if state is None or state.uid != meta["uid"]:
            state = _Service(meta["uid"], selector)
            self._services[key] = state
            self._by_namespace.setdefault(key[0], set()).add(key[1])
        state.selector = selector
        state.full = True
        self.queue.add(key)

    def on_pod(self, change: Change) -> None:
        """Mark the pod dirty for each service of its namespace that selects it (before or after)."""
        meta = change.obj["metadata"]
        names = self._by_namespace.get(meta["namespace"])
        if not names:
            return
        new_labels = meta.get("labels")
        old_labels = change.old["metadata"].get("labels") if change.old is not None else None
        for name in names:
            state = self._services[(meta["namespace"], name)]
            if match_map(state.selector, new_labels) or match_map(state.selector, old_labels):
                state.dirty.add(meta["name"])
                self.queue.add((meta["namespace"], name))

    def on_slice(self, change: Change) -> None:
        """Someone else deleted one of our slices: rebuild that service."""
        if change.type != "DELETED":
            return
        meta = change.obj["metadata"]
        key = (meta["namespace"], (meta.get("labels") or {}).get(SERVICE_NAME, ""))
        state = self._services.get(key)
        if state is not None and meta["name"] in state.slices:
            state.full = True
            self.queue.add(key)

    # --------------------------------------------------------------------- sync
    def _sync(self, key: _Key) -> None:
        state = self._services.get(key)
        svc = self._store.get(SERVICES, *key)
        if state is None or svc is None or svc["metadata"]["uid"] != state.uid:
            return
        if not state.selector:  # the selector was removed: its slices go
            for name in state.slices:
                if self._store.get(ENDPOINTSLICES, key[0], name) is not None:
                    self._store.delete(ENDPOINTSLICES, key[0], name)
            self._services.pop(key, None)
            self._by_namespace.get(key[0], set()).discard(key[1])
            return
        pods = self._pods.in_namespace(key[0])
        if state.full:
            self._drop_unknown_slices(key, state)
            names = set(state.pod_slice) | {
                n for n, p in pods.items() if match_map(state.selector, p["metadata"].get("labels"))
            }
        else:
            names = set(state.dirty)
        state.full = False
        state.dirty.clear()
        changed: set[str] = set()
        for name in sorted(names):
            pod = pods.get(name)
            wanted = None
            if pod is not None and self._included(state, pod):
                wanted = (_endpoint_ports(svc, pod), _endpoint(svc, pod))
            self._place(key, state, name, wanted, changed)
        self._write(key, svc, state, changed)

    @staticmethod
    def _included(state: _Service, pod: Obj) -> bool:
        return (
            match_map(state.selector, pod["metadata"].get("labels"))
            and bool(pod.get("status", {}).get("podIP"))
            and not podutil.is_finished(pod)
        )

    def _place(
        self,
        key: _Key,
        state: _Service,
        pod: str,
        wanted: tuple[_PortsKey, dict[str, Any]] | None,
        changed: set[str],
    ) -> None:
        current = state.pod_slice.get(pod)
        if current is not None:
            holder = state.slices[current]
            if wanted is not None and holder.ports == wanted[0]:
                if holder.endpoints.get(pod) != wanted[1]:
                    holder.endpoints[pod] = wanted[1]
                    changed.add(current)
                return
            del holder.endpoints[pod]
            del state.pod_slice[pod]
            changed.add(current)
        if wanted is None:
            return
        target = next(
            (
                s
                for s in state.slices.values()
                if s.ports == wanted[0] and len(s.endpoints) < MAX_ENDPOINTS_PER_SLICE
            ),
            None,
        )
        if target is None:
            placeholder = next(
                (s for s in state.slices.values() if s.ports is None and not s.endpoints), None
            )
            if placeholder is not None:
                target = placeholder
                target.ports = wanted[0]
            else:
                target = _Slice(self._new_name(key, state), wanted[0])
                state.slices[target.name] = target
        target.endpoints[pod] = wanted[1]
        state.pod_slice[pod] = target.name
        changed.add(target.name)

    def _new_name(self, key: _Key, state: _Service) -> str:
        while True:
            name = f"{key[1]}-{random_suffix()}"
            if name not in state.slices and self._store.get(ENDPOINTSLICES, key[0], name) is None:
                return name

    def _drop_unknown_slices(self, key: _Key, state: _Service) -> None:
        for slice_obj in self._store.iter_all(ENDPOINTSLICES):
            meta = slice_obj["metadata"]
            labels = meta.get("labels") or {}
            if (
                meta.get("namespace") == key[0]
                and labels.get(SERVICE_NAME) == key[1]
                and labels.get(MANAGED_BY) == CONTROLLER
                and meta["name"] not in state.slices
            ):
                self._store.delete(ENDPOINTSLICES, key[0], meta["name"])
        for name, held in list(state.slices.items()):
            if self._store.get(ENDPOINTSLICES, key[0], name) is None:
                for pod in held.endpoints:
                    state.pod_slice.pop(pod, None)
                del state.slices[name]

    def _write(self, key: _Key, svc: Obj, state: _Service, changed: set[str]) -> None:
        if not state.slices:
            placeholder = _Slice(self._new_name(key, state), None)
            state.slices[placeholder.name] = placeholder
            changed.add(placeholder.name)
        for name in sorted(changed):
            held = state.slices.get(name)
            if held is None:
                continue
            if not held.endpoints and len(state.slices) > 1:
                del state.slices[name]
                if self._store.get(ENDPOINTSLICES, key[0], name) is not None:
                    self._store.delete(ENDPOINTSLICES, key[0], name)
                continue
            if not held.endpoints:
                held.ports = None
            self._store_slice(key, svc, held)

    def _store_slice(self, key: _Key, svc: Obj, held: _Slice) -> None:
        labels = dict(svc["metadata"].get("labels") or {})
        labels.update({SERVICE_NAME: key[1], MANAGED_BY: CONTROLLER})
        endpoints = list(held.endpoints.values()) or None
        ports = None
        if held.ports is not None:
            ports = [
                {"name": n, "protocol": proto, "port": number, **({"appProtocol": app} if app else {})}
                for n, proto, number, app in held.ports
            ]
        existing = self._store.get(ENDPOINTSLICES, key[0], held.name)
        if existing is None:
            self._store.create(
                ENDPOINTSLICES,
                {
                    "metadata": {
                        "name": held.name,
                        "generateName": f"{key[1]}-",
                        "namespace": key[0],
                        "labels": labels,
                        "ownerReferences": [owner_reference(svc)],
                    },
                    "addressType": "IPv4",
                    "endpoints": endpoints,
                    "ports": ports,
                },
            )
            return
        if (
            existing.get("endpoints") == endpoints
            and existing.get("ports") == ports
            and existing["metadata"].get("labels") == labels
        ):
            return

        def apply(obj: Obj) -> None:
            obj["endpoints"] = endpoints
            obj["ports"] = ports
            obj["metadata"]["labels"] = labels

        self._store.mutate(ENDPOINTSLICES, key[0], held.name, apply)
