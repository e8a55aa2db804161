"""The kind browser's table as data: the columns of each kind and one row per object, pure.

Every kind gets NAME first and AGE last (the view adds both); in between, the columns `kubectl get`
shows. Each row carries a level (ok / warning / error / progressing) for its colour and the fields
the sort keys order by (`core/sorting.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.describe_format import parse_time, since
from devstack.core.kube import DeploymentInfo, KubeEventInfo, PodInfo, ServiceInfo
from devstack.core.resources import (
    AnyInfo,
    ConfigMapInfo,
    CronJobInfo,
    EndpointsInfo,
    IngressInfo,
    JobInfo,
    NamespaceInfo,
    PersistentVolumeClaimInfo,
    ReplicaSetInfo,
    SecretInfo,
)
from devstack.core.sorting import SortFields

Columns = tuple[tuple[str, str], ...]

COLUMNS: dict[str, Columns] = {
    "pods": (("ready", "READY"), ("status", "STATUS"), ("restarts", "RESTARTS"), ("ip", "IP")),
    "deployments": (
        ("ready", "READY"),
        ("updated", "UP-TO-DATE"),
        ("available", "AVAILABLE"),
        ("status", "STATUS"),
    ),
    "replicasets": (("desired", "DESIRED"), ("current", "CURRENT"), ("ready", "READY")),
    "services": (("type", "TYPE"), ("ip", "CLUSTER-IP"), ("ports", "PORTS")),
    "configmaps": (("data", "DATA"), ("keys", "KEYS")),
    "secrets": (("type", "TYPE"), ("data", "DATA"), ("keys", "KEYS")),
    "ingresses": (("class", "CLASS"), ("hosts", "HOSTS"), ("address", "ADDRESS"), ("ports", "PORTS")),
    "jobs": (("status", "STATUS"), ("completions", "COMPLETIONS")),
    "cronjobs": (
        ("schedule", "SCHEDULE"),
        ("suspend", "SUSPEND"),
        ("active", "ACTIVE"),
        ("last", "LAST SCHEDULE"),
    ),
    "persistentvolumeclaims": (
        ("status", "STATUS"),
        ("volume", "VOLUME"),
        ("capacity", "CAPACITY"),
        ("modes", "ACCESS MODES"),
        ("class", "STORAGECLASS"),
    ),
    "endpoints": (("endpoints", "ENDPOINTS"),),
    "events": (("type", "TYPE"), ("reason", "REASON"), ("object", "OBJECT"), ("message", "MESSAGE")),
    "namespaces": (("status", "STATUS"),),
}
SEVERITY = {"ok": 0, "progressing": 1, "warning": 2, "error": 3}
_POD_ERRORS = (
    "CrashLoopBackOff",
    "Error",
    "ErrImagePull",
    "ImagePullBackOff",
    "CreateContainerConfigError",
    "OOMKilled",
)


@dataclass(frozen=True)
class BrowseRow:
    """One object's cells (between NAME and AGE), its level and its sort fields."""

    name: str
    cells: tuple[str, ...]
    level: str
    fields: SortFields


def columns(kind: str) -> Columns:
    """The columns between NAME and AGE for a kind."""
    return COLUMNS.get(kind, ())


def pod_status(pod: PodInfo) -> str:
    """What `kubectl get pods` shows as STATUS: a container's reason, else the phase (or Terminating)."""
    if pod.deleting:
        return "Terminating"
    for container in pod.containers:
        if container.init and container.state != "terminated":
            return f"Init:{container.reason or container.state.capitalize()}"
    for container in pod.containers:
        if not container.init and container.state in ("waiting", "terminated") and container.reason:
            return container.reason
    return pod.phase


def _level(status: str, ok: bool) -> str:
    if any(word in status for word in _POD_ERRORS) or status in ("Failed", "Lost"):
        return "error"
    if status in ("Pending", "ContainerCreating", "Terminating", "Running") and not ok:
        return "progressing"
    return "ok" if ok else "warning"


def browse_row(kind: str, info: AnyInfo, now: float) -> BrowseRow:
    """The row of one object of `kind` at time `now` (for the LAST SCHEDULE of CronJobs)."""
    created = parse_time(getattr(info, "created", ""))
    stamp = created.timestamp() if created else None
    status, level, restarts, cells = "", "ok", 0, _cells(info, now)
    if isinstance(info, PodInfo):
        status, restarts = pod_status(info), info.restarts
        level = _level(status, info.ready or info.phase == "Succeeded")
    elif isinstance(info, DeploymentInfo):
        status = "Ready" if info.ready else "Progressing"
        level = "ok" if info.ready else "progressing"
    elif isinstance(info, JobInfo):
        status = info.status
        level = {"Failed": "error", "Running": "progressing", "Pending": "progressing"}.get(status, "ok")
    elif isinstance(info, PersistentVolumeClaimInfo | NamespaceInfo):
        status = info.phase
        level = "ok" if status in ("Bound", "Active") else "warning"
    elif isinstance(info, KubeEventInfo):
        status = info.type
        level = "warning" if info.warning else "ok"
    fields = SortFields(info.name, status, SEVERITY[level], stamp, restarts)
    return BrowseRow(info.name, cells, level, fields)


def _cells(info: AnyInfo, now: float) -> tuple[str, ...]:
    if isinstance(info, PodInfo):
        ready, total = info.ready_count
        return (f"{ready}/{total}", pod_status(info), str(info.restarts), info.pod_ip or "<none>")
    if isinstance(info, DeploymentInfo):
        status = "Ready" if info.ready else "Progressing"
        return (
            f"{info.ready_replicas}/{info.replicas}",
            str(info.updated_replicas),
            str(info.available_replicas),
            status,
        )
    if isinstance(info, ReplicaSetInfo):
        return (str(info.desired), str(info.current), str(info.ready))
    if isinstance(info, ServiceInfo):
        ports = ",".join(f"{p.port}/{p.protocol}" for p in info.ports) or "<none>"
        return (info.type, info.cluster_ip or "<none>", ports)
    if isinstance(info, ConfigMapInfo):
        return (str(len(info.keys)), ",".join(info.keys))
    if isinstance(info, SecretInfo):
        return (info.type, str(len(info.keys)), ",".join(info.keys))
    if isinstance(info, IngressInfo):
        hosts = ",".join(info.hosts) or "*"
        return (
            info.ingress_class or "<none>",
            hosts,
            ",".join(info.addresses),
            "80, 443" if info.tls else "80",
        )
    if isinstance(info, JobInfo):
        return (info.status, f"{info.succeeded}/{info.completions}")
    if isinstance(info, CronJobInfo):
        last = since(info.last_schedule, now) if info.last_schedule else "<none>"
        return (info.schedule, "True" if info.suspend else "False", str(info.active), last)
    if isinstance(info, PersistentVolumeClaimInfo):
        modes = ",".join(_MODES.get(m, m) for m in info.access_modes)
        return (info.phase, info.volume, info.capacity, modes, info.storage_class)
    if isinstance(info, EndpointsInfo):
        shown = ",".join(info.ready[:3]) + (
            f" + {len(info.ready) - 3} more..." if len(info.ready) > 3 else ""
        )
        return (shown or "<none>",)
    if isinstance(info, KubeEventInfo):
        return (info.type, info.reason, f"{info.object_kind.lower()}/{info.object_name}", info.message)
    if isinstance(info, NamespaceInfo):
        return (info.phase,)
    return ()


_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"}
