"""The Endpoints controller: a `v1` Endpoints object per Service with a selector, named after it.

It is derived from the Service's EndpointSlices (which hold the same pods, ports and readiness the
real controller reads from the pods): ready addresses go to `addresses`, the others to
`notReadyAddresses`, one subset per port set. The object goes when its Service goes; a Service
without endpoints gets an Endpoints object without subsets, as on a real cluster.
"""

from __future__ import annotations

import contextlib
from typing import Any

from devstack_sim.errors import ApiError
from devstack_sim.resources import ENDPOINTS, ENDPOINTSLICES, SERVICES
from devstack_sim.store import Change, Obj, Store

from .endpointslices import SERVICE_NAME
from .workqueue import WorkQueue

_Key = tuple[str, str]


def _subsets(slices: list[Obj]) -> list[dict[str, Any]]:
    by_ports: dict[tuple[tuple[str, int, str], ...], dict[str, list[dict[str, Any]]]] = {}
    for item in slices:
        ports = tuple(
            (str(p.get("name") or ""), int(p.get("port") or 0), str(p.get("protocol") or "TCP"))
            for p in item.get("ports") or []
        )
        held = by_ports.setdefault(ports, {"addresses": [], "notReadyAddresses": []})
        for endpoint in item.get("endpoints") or []:
            ready = (endpoint.get("conditions") or {}).get("ready", True)
            for ip in endpoint.get("addresses") or []:
                address: dict[str, Any] = {"ip": ip}
                if endpoint.get("nodeName"):
                    address["nodeName"] = endpoint["nodeName"]
                if endpoint.get("targetRef"):
                    address["targetRef"] = dict(endpoint["targetRef"])
                held["addresses" if ready else "notReadyAddresses"].append(address)
    subsets = []
    for ports, addresses in sorted(by_ports.items()):
        if not addresses["addresses"] and not addresses["notReadyAddresses"]:
            continue
        subset: dict[str, Any] = {k: sorted(v, key=lambda a: a["ip"]) for k, v in addresses.items() if v}
        subset["ports"] = [
            {"name": n, "port": p, "protocol": proto} if n else {"port": p, "protocol": proto}
            for n, p, proto in ports
        ]
        subsets.append(subset)
    return subsets


class EndpointsController:
    """Keeps the Endpoints of every Service with a selector in step with its EndpointSlices."""

    def __init__(self, store: Store):
        self._store = store
        self.queue: WorkQueue[_Key] = WorkQueue("endpoints", self._sync, delay=0.01)

    def on_service(self, change: Change) -> None:
        """A Service came, changed or went."""
        meta = change.obj["metadata"]
        self.queue.add((meta["namespace"], meta["name"]))

    def on_slice(self, change: Change) -> None:
        """A slice of some Service changed."""
        meta = change.obj["metadata"]
        service = (meta.get("labels") or {}).get(SERVICE_NAME)
        if service:
            self.queue.add((meta["namespace"], service))

    def _sync(self, key: _Key) -> None:
        namespace, name = key
        svc = self._store.get(SERVICES, namespace, name)
        current = self._store.get(ENDPOINTS, namespace, name)
        if svc is None or not (svc.get("spec") or {}).get("selector"):
            if current is not None and svc is None:
                with contextlib.suppress(ApiError):  # already gone
                    self._store.delete(ENDPOINTS, namespace, name)
            return
        slices = [
            s
            for s in self._store.list(ENDPOINTSLICES, namespace, None)
            if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == name
        ]
        subsets = _subsets(slices)
        labels = dict(svc["metadata"].get("labels") or {})
        if current is None:
            body: Obj = {"metadata": {"name": name, "namespace": namespace, "labels": labels}}
            if subsets:
                body["subsets"] = subsets
            self._store.create(ENDPOINTS, body)
            return
        if current.get("subsets", []) == subsets and (current["metadata"].get("labels") or {}) == labels:
            return

        def apply(obj: Obj) -> None:
            obj["metadata"]["labels"] = labels
            if subsets:
                obj["subsets"] = subsets
            else:
                obj.pop("subsets", None)

        self._store.mutate(ENDPOINTS, namespace, name, apply)
