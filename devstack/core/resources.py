"""Summaries of the kinds the kind browser shows besides the watched ones: ConfigMaps, Secrets (key
names only — a value never enters the store), Ingresses, Jobs, CronJobs, PersistentVolumeClaims,
Endpoints, ReplicaSets and Namespaces. Like `core/kube.py`, each summary is made from a plain dict
in the watch's worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.core.kube import Condition, KubeInfo
from devstack.core.kubedecode import SUMMARISERS

Raw = Mapping[str, Any]


@dataclass(frozen=True)
class _Named:
    namespace: str
    name: str
    created: str = ""

    @property
    def key(self) -> str:
        """`namespace/name` (`name` for cluster-scoped objects)."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class ConfigMapInfo(_Named):
    """A ConfigMap: its keys (data and binaryData)."""

    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecretInfo(_Named):
    """A Secret: its type and key names. Never its values."""

    type: str = "Opaque"
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngressInfo(_Named):
    """An Ingress: class, hosts, load-balancer addresses, whether it has TLS."""

    ingress_class: str = ""
    hosts: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    tls: bool = False


@dataclass(frozen=True)
class JobInfo(_Named):
    """A Job: completions, active/succeeded/failed pods, its Complete/Failed condition."""

    completions: int = 1
    active: int = 0
    succeeded: int = 0
    failed: int = 0
    conditions: tuple[Condition, ...] = ()
    start: str = ""
    completion: str = ""

    @property
    def status(self) -> str:
        """Complete, Failed, Suspended, Running or Pending (what `kubectl get jobs` shows)."""
        for kind in ("Complete", "Failed", "Suspended"):
            if any(c.type == kind and c.status == "True" for c in self.conditions):
                return kind
        return "Running" if self.active else "Pending"


@dataclass(frozen=True)
class CronJobInfo(_Named):
    """A CronJob: schedule, suspended or not, active Jobs, last schedule."""

    schedule: str = ""
    suspend: bool = False
    active: int = 0
    last_schedule: str = ""


@dataclass(frozen=True)
class PersistentVolumeClaimInfo(_Named):
    """A PersistentVolumeClaim: phase, volume, capacity, access modes, storage class."""

    phase: str = "Pending"
    volume: str = ""
    capacity: str = ""
    access_modes: tuple[str, ...] = ()
    storage_class: str = ""


@dataclass(frozen=True)
class EndpointsInfo(_Named):
    """An Endpoints object: ready `ip:port` pairs and how many addresses are not ready."""

    ready: tuple[str, ...] = ()
    not_ready: int = 0


@dataclass(frozen=True)
class ReplicaSetInfo(_Named):
    """A ReplicaSet: desired, current and ready replicas."""

    desired: int = 0
    current: int = 0
    ready: int = 0


@dataclass(frozen=True)
class NamespaceInfo(_Named):
    """A Namespace: its phase (Active, Terminating)."""

    phase: str = "Active"


ResourceInfo = (
    ConfigMapInfo
    | SecretInfo
    | IngressInfo
    | JobInfo
    | CronJobInfo
    | PersistentVolumeClaimInfo
    | EndpointsInfo
    | ReplicaSetInfo
    | NamespaceInfo
)
AnyInfo = KubeInfo | ResourceInfo


def _meta(obj: Raw) -> Raw:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _named(obj: Raw) -> dict[str, str]:
    meta = _meta(obj)
    return {
        "namespace": str(meta.get("namespace") or ""),
        "name": str(meta.get("name") or ""),
        "created": str(meta.get("creationTimestamp") or ""),
    }


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _dict(value: object) -> Raw:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> Sequence[Any]:
    return value if isinstance(value, list) else []


def configmap_info(obj: Raw) -> ConfigMapInfo:
    """Summarise a ConfigMap dict."""
    keys = sorted({*_dict(obj.get("data")), *_dict(obj.get("binaryData"))})
    return ConfigMapInfo(**_named(obj), keys=tuple(str(k) for k in keys))


def secret_info(obj: Raw) -> SecretInfo:
    """Summarise a Secret dict: type and key names (the values are not read)."""
    keys = sorted({*_dict(obj.get("data")), *_dict(obj.get("stringData"))})
    return SecretInfo(**_named(obj), type=str(obj.get("type") or "Opaque"), keys=tuple(str(k) for k in keys))


def ingress_info(obj: Raw) -> IngressInfo:
    """Summarise an Ingress dict."""
    spec = _dict(obj.get("spec"))
    hosts = tuple(
        str(r.get("host")) for r in _list(spec.get("rules")) if isinstance(r, Mapping) and r.get("host")
    )
    balancer = _dict(_dict(obj.get("status")).get("loadBalancer"))
    addresses = tuple(
        str(i.get("ip") or i.get("hostname") or "")
        for i in _list(balancer.get("ingress"))
        if isinstance(i, Mapping)
    )
    return IngressInfo(
        **_named(obj),
        ingress_class=str(spec.get("ingressClassName") or ""),
        hosts=hosts,
        addresses=addresses,
        tls=bool(spec.get("tls")),
    )


def job_info(obj: Raw) -> JobInfo:
    """Summarise a Job dict."""
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    conditions = tuple(
        Condition(str(c.get("type", "")), str(c.get("status", "")), str(c.get("reason") or ""))
        for c in _list(status.get("conditions"))
        if isinstance(c, Mapping)
    )
    return JobInfo(
        **_named(obj),
        completions=_int(spec.get("completions"), 1),
        active=_int(status.get("active")),
        succeeded=_int(status.get("succeeded")),
        failed=_int(status.get("failed")),
        conditions=conditions,
        start=str(status.get("startTime") or ""),
        completion=str(status.get("completionTime") or ""),
    )


def cronjob_info(obj: Raw) -> CronJobInfo:
    """Summarise a CronJob dict."""
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    return CronJobInfo(
        **_named(obj),
        schedule=str(spec.get("schedule") or ""),
        suspend=bool(spec.get("suspend")),
        active=len(_list(status.get("active"))),
        last_schedule=str(status.get("lastScheduleTime") or ""),
    )


def pvc_info(obj: Raw) -> PersistentVolumeClaimInfo:
    """Summarise a PersistentVolumeClaim dict."""
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    return PersistentVolumeClaimInfo(
        **_named(obj),
        phase=str(status.get("phase") or "Pending"),
        volume=str(spec.get("volumeName") or ""),
        capacity=str(_dict(status.get("capacity")).get("storage") or ""),
        access_modes=tuple(str(m) for m in _list(status.get("accessModes") or spec.get("accessModes"))),
        storage_class=str(spec.get("storageClassName") or ""),
    )


def endpoints_info(obj: Raw) -> EndpointsInfo:
    """Summarise an Endpoints dict (`ip:port` for every ready address and port)."""
    ready: list[str] = []
    not_ready = 0
    for subset in _list(obj.get("subsets")):
        if not isinstance(subset, Mapping):
            continue
        ports = [_int(p.get("port")) for p in _list(subset.get("ports")) if isinstance(p, Mapping)] or [0]
        for address in _list(subset.get("addresses")):
            ip = str(_dict(address).get("ip") or "")
            ready.extend(f"{ip}:{port}" if port else ip for port in ports)
        not_ready += len(_list(subset.get("notReadyAddresses")))
    return EndpointsInfo(**_named(obj), ready=tuple(ready), not_ready=not_ready)


def replicaset_info(obj: Raw) -> ReplicaSetInfo:
    """Summarise a ReplicaSet dict."""
    spec, status = _dict(obj.get("spec")), _dict(obj.get("status"))
    return ReplicaSetInfo(
        **_named(obj),
        desired=_int(spec.get("replicas"), 1),
        current=_int(status.get("replicas")),
        ready=_int(status.get("readyReplicas")),
    )


def namespace_info(obj: Raw) -> NamespaceInfo:
    """Summarise a Namespace dict."""
    return NamespaceInfo(**_named(obj), phase=str(_dict(obj.get("status")).get("phase") or "Active"))


BROWSE_SUMMARISERS: dict[str, Callable[[Raw], AnyInfo]] = {
    **SUMMARISERS,
    "configmaps": configmap_info,
    "secrets": secret_info,
    "ingresses": ingress_info,
    "jobs": job_info,
    "cronjobs": cronjob_info,
    "persistentvolumeclaims": pvc_info,
    "endpoints": endpoints_info,
    "replicasets": replicaset_info,
    "namespaces": namespace_info,
}
"""Every kind the browser lists, plural name → summariser."""
