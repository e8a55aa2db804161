"""The resource types the simulated API server serves, with their discovery facts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourceType:
    """One served resource type (a row of discovery)."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    singular: str = ""
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        """`v1` for the core group, `group/version` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        """Kind of the list object, e.g. `PodList`."""
        return f"{self.kind}List"

    @property
    def key(self) -> str:
        """Stable key used by the store, e.g. `pods` or `deployments.apps`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")

NAMESPACES = ResourceType("", "v1", "Namespace", "namespaces", False, ("ns",), "namespace", ("status",))
NODES = ResourceType("", "v1", "Node", "nodes", False, ("no",), "node", ("status",))
PODS = ResourceType("", "v1", "Pod", "pods", True, ("po",), "pod", ("status", "log", "portforward", "exec"))
SERVICES = ResourceType("", "v1", "Service", "services", True, ("svc",), "service", ("status",))
EVENTS = ResourceType("", "v1", "Event", "events", True, ("ev",), "event")
CONFIGMAPS = ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",), "configmap")
SECRETS = ResourceType("", "v1", "Secret", "secrets", True, (), "secret")
SERVICEACCOUNTS = ResourceType("", "v1", "ServiceAccount", "serviceaccounts", True, ("sa",), "serviceaccount")
DEPLOYMENTS = ResourceType(
    "apps", "v1", "Deployment", "deployments", True, ("deploy",), "deployment", ("status", "scale")
)
REPLICASETS = ResourceType(
    "apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), "replicaset", ("status", "scale")
)
ENDPOINTSLICES = ResourceType(
    "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True, (), "endpointslice"
)
INGRESSES = ResourceType(
    "networking.k8s.io", "v1", "Ingress", "ingresses", True, ("ing",), "ingress", ("status",)
)
ENDPOINTS = ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",), "endpoints")
PERSISTENTVOLUMECLAIMS = ResourceType(
    "",
    "v1",
    "PersistentVolumeClaim",
    "persistentvolumeclaims",
    True,
    ("pvc",),
    "persistentvolumeclaim",
    ("status",),
)
JOBS = ResourceType("batch", "v1", "Job", "jobs", True, (), "job", ("status",))
CRONJOBS = ResourceType("batch", "v1", "CronJob", "cronjobs", True, ("cj",), "cronjob", ("status",))

ALL: tuple[ResourceType, ...] = (
    NAMESPACES,
    NODES,
    PODS,
    SERVICES,
    EVENTS,
    CONFIGMAPS,
    SECRETS,
    SERVICEACCOUNTS,
    DEPLOYMENTS,
    REPLICASETS,
    ENDPOINTSLICES,
    INGRESSES,
    ENDPOINTS,
    PERSISTENTVOLUMECLAIMS,
    JOBS,
    CRONJOBS,
)

BY_KEY: dict[str, ResourceType] = {r.key: r for r in ALL}


def find(group: str, version: str, plural: str) -> ResourceType | None:
    """The served type for a URL's group, version and plural, or None."""
    for rtype in ALL:
        if rtype.group == group and rtype.version == version and rtype.plural == plural:
            return rtype
    return None


def find_kind(api_version: str, kind: str) -> ResourceType | None:
    """The served type for an object's apiVersion and kind, or None."""
    for rtype in ALL:
        if rtype.group_version == api_version and rtype.kind == kind:
            return rtype
    return None
