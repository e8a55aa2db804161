"""Service defaults the API server fills in: cluster IPs (10.96.0.0/16) and node ports."""

from __future__ import annotations

import random
from typing import Any

from devstack_sim.resources import SERVICES
from devstack_sim.store import Change, Obj, Store

from .workqueue import WorkQueue

_RESERVED = {"10.96.0.0", "10.96.0.1", "10.96.0.10", "10.96.255.255"}  # network, kubernetes, kube-dns
_NODE_PORTS = range(30000, 32768)

_Key = tuple[str, str]


class ServiceAllocator:
    """Gives Services without a `clusterIP` one (and `nodePort`s to NodePort/LoadBalancer ports)."""

    def __init__(self, store: Store):
        self._store = store
        self._ips: dict[str, _Key] = {}
        self._node_ports: dict[int, _Key] = {}
        self.queue: WorkQueue[_Key] = WorkQueue("service-ips", self._sync)

    def on_service(self, change: Change) -> None:
        """Track the addresses in use; queue services that still need some."""
        meta = change.obj["metadata"]
        key = (meta["namespace"], meta["name"])
        if change.old is not None:
            self._release(key, change.old)
        if change.type == "DELETED":
            return
        spec = change.obj.get("spec") or {}
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            self._ips.setdefault(ip, key)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                self._node_ports.setdefault(int(port["nodePort"]), key)
        if _needs_defaults(spec):
            self.queue.add(key)

    def _release(self, key: _Key, old: Obj) -> None:
        spec = old.get("spec") or {}
        if self._ips.get(spec.get("clusterIP", "")) == key:
            del self._ips[spec["clusterIP"]]
        for port in spec.get("ports") or []:
            node_port = port.get("nodePort")
            if node_port and self._node_ports.get(int(node_port)) == key:
                del self._node_ports[int(node_port)]

    def _free_ip(self, key: _Key) -> str:
        while True:
            ip = f"10.96.{random.randint(0, 255)}.{random.randint(1, 254)}"
            if ip not in _RESERVED and ip not in self._ips:
                self._ips[ip] = key
                return ip

    def _free_node_port(self, key: _Key) -> int:
        while True:
            port = random.choice(_NODE_PORTS)
            if port not in self._node_ports:
                self._node_ports[port] = key
                return port

    def _sync(self, key: _Key) -> None:
        svc = self._store.get(SERVICES, *key)
        if svc is None or not _needs_defaults(svc.get("spec") or {}):
            return

        def apply(obj: Obj) -> None:
            spec = obj.setdefault("spec", {})
            kind = spec.setdefault("type", "ClusterIP")
            if kind == "ExternalName":
                return
            if not spec.get("clusterIP"):
                spec["clusterIP"] = self._free_ip(key)
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("sessionAffinity", "None")
            spec.setdefault("internalTrafficPolicy", "Cluster")
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
                if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                    port["nodePort"] = self._free_node_port(key)

        self._store.mutate(SERVICES, key[0], key[1], apply)


def _needs_defaults(spec: dict[str, Any]) -> bool:
    if spec.get("type") == "ExternalName":
        return False
    if not spec.get("clusterIP") or not spec.get("clusterIPs"):
        return True
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        return any(not p.get("nodePort") for p in spec.get("ports") or [])
    return False
