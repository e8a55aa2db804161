"""Defaulting on create, as the real API server's defaulters and admission plugins do it.

Covers what clients read back: Namespace phase and name label; Service type, ClusterIP (from
10.96.0.0/16), port protocol/targetPort; Deployment replicas/strategy/history; pod specs
(restartPolicy, dnsPolicy, grace period, serviceAccountName, imagePullPolicy, port protocol);
new pods start `Pending` with a QoS class. Stored objects are not mutated: callers pass a copy.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from typing import Any

from devstack_sim.resources import ResourceType

Obj = dict[str, Any]

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")


def _image_pull_policy(image: str) -> str:
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.split(":", 1)[1] if ":" in name else "latest"
    return "Always" if tag == "latest" else "IfNotPresent"


def _container(container: Obj) -> None:
    if isinstance(container.get("image"), str):
        container.setdefault("imagePullPolicy", _image_pull_policy(container["image"]))
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("resources", {})
    for port in container.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")


def pod_spec(spec: Obj) -> None:
    """Default a pod spec in place (also used for templates)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for field in ("initContainers", "containers"):
        for container in spec.get(field) or []:
            if isinstance(container, dict):
                _container(container)


def _qos_class(spec: Obj) -> str:
    containers = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    guaranteed = all(
        (r.get("limits") or {}).get("cpu")
        and (r.get("limits") or {}).get("memory")
        and (r.get("requests") or {}).get("cpu", r["limits"]["cpu"]) == r["limits"]["cpu"]
        and (r.get("requests") or {}).get("memory", r["limits"]["memory"]) == r["limits"]["memory"]
        for r in resources
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _allocate_ip(used: set[str]) -> str:
    hosts = SERVICE_CIDR.num_addresses - 2
    for _ in range(1000):
        candidate = str(SERVICE_CIDR.network_address + random.randint(10, hosts))
        if candidate not in used:
            return candidate
    raise RuntimeError("service CIDR exhausted")


def _service(obj: Obj, used_ips: Iterable[str]) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        if not spec.get("clusterIP"):
            spec["clusterIP"] = _allocate_ip(set(used_ips))
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    for port in spec.get("ports") or []:
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    obj.setdefault("status", {"loadBalancer": {}})


def _workload(obj: Obj, deployment: bool) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    if deployment:
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type", "RollingUpdate") == "RollingUpdate":
            strategy.setdefault("type", "RollingUpdate")
            strategy.setdefault("rollingUpdate", {"maxUnavailable": "25%", "maxSurge": "25%"})
    template = spec.get("template")
    if isinstance(template, dict):
        template.setdefault("metadata", {})
        if isinstance(template.get("spec"), dict):
            pod_spec(template["spec"])
    obj["status"] = {}


def apply(rtype: ResourceType, obj: Obj, used_cluster_ips: Iterable[str] = ()) -> None:
    """Fill defaults into `obj` (a fresh copy) before it is created.

    Args:
        rtype: The object's type.
        obj: The object to default in place.
        used_cluster_ips: ClusterIPs already taken (for Service allocation).
    """
    meta = obj.setdefault("metadata", {})
    if rtype.kind == "Namespace":
        if meta.get("name"):
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj["status"] = {"phase": "Active"}
    elif rtype.kind == "Service":
        _service(obj, used_cluster_ips)
    elif rtype.kind in ("Deployment", "ReplicaSet"):
        _workload(obj, rtype.kind == "Deployment")
    elif rtype.kind == "Pod":
        spec = obj.setdefault("spec", {})
        spec.setdefault("serviceAccountName", "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
        pod_spec(spec)
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(spec)}
    elif rtype.kind == "Secret":
        obj.setdefault("type", "Opaque")


def normalize(rtype: ResourceType, obj: Obj) -> None:
    """Conversions the server does on every write: Secret `stringData` becomes base64 `data`."""
    if rtype.kind == "Secret" and isinstance(obj.get("stringData"), dict):
        import base64

        data = obj.setdefault("data", {}) or {}
        for key, value in obj.pop("stringData").items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
