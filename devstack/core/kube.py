"""Compact, immutable summaries of Kubernetes objects: only what the views and health rules need.

Watch and list bodies are decoded straight into these (`core/kubedecode.py`, in the worker thread
that reads them), so the store never holds (or copies) whole API objects. Summaries are frozen
`msgspec` Structs: immutable, hashable, compared by value, and several times cheaper to build than
frozen dataclasses (which matters at thousands of pod changes per second).
"""

from __future__ import annotations

import msgspec

Pairs = tuple[tuple[str, str], ...]


def selects(selector: Pairs, labels: Pairs) -> bool:
    """A label selector (`matchLabels` pairs) selects an object with these labels.

    An empty selector selects nothing here: a Deployment or Service without one owns no pods.
    """
    return bool(selector) and set(selector) <= set(labels)


class Condition(msgspec.Struct, frozen=True, gc=False, rename={"since": "lastTransitionTime"}):
    """A status condition (`type`, `status`, `reason`, `message`; `since`: lastTransitionTime).

    Decoded straight from the API's JSON (`core/kubewire.py`), where `since` is `lastTransitionTime`.
    """

    type: str = ""
    status: str = ""
    reason: str = ""
    message: str = ""
    since: str = ""


class ContainerInfo(msgspec.Struct, frozen=True, gc=False):
    """One container's status (the bits a human needs to know why it is not Ready)."""

    name: str
    image: str
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    state: str = "waiting"  # waiting | running | terminated
    reason: str = ""
    message: str = ""
    exit_code: int | None = None
    last_exit_code: int | None = None
    last_reason: str = ""
    last_message: str = ""
    memory_limit: str = ""
    init: bool = False


class PodInfo(msgspec.Struct, frozen=True, gc=False):
    """A pod summary."""

    namespace: str
    name: str
    uid: str = ""
    phase: str = "Pending"
    ready: bool = False
    containers: tuple[ContainerInfo, ...] = ()
    conditions: tuple[Condition, ...] = ()
    owner_kind: str = ""
    owner_name: str = ""
    labels: Pairs = ()
    created: str = ""
    deleting: bool = False
    node: str = ""
    pod_ip: str = ""
    resource_version: str = ""

    @property
    def key(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"

    @property
    def restarts(self) -> int:
        """Restarts summed over containers."""
        return sum(c.restart_count for c in self.containers if not c.init)

    @property
    def ready_count(self) -> tuple[int, int]:
        """(ready containers, containers) — what `kubectl get pods` shows as READY."""
        app = [c for c in self.containers if not c.init]
        return sum(1 for c in app if c.ready), len(app)

    def condition(self, kind: str) -> Condition | None:
        """The condition of that type, if reported."""
        return next((c for c in self.conditions if c.type == kind), None)

    def label(self, key: str) -> str | None:
        """A label value."""
        return dict(self.labels).get(key)


class DeploymentInfo(msgspec.Struct, frozen=True, gc=False):
    """A Deployment summary."""

    namespace: str
    name: str
    uid: str = ""
    replicas: int = 1
    ready_replicas: int = 0
    available_replicas: int = 0
    updated_replicas: int = 0
    unavailable_replicas: int = 0
    generation: int = 0
    observed_generation: int = 0
    selector: Pairs = ()
    conditions: tuple[Condition, ...] = ()
    images: tuple[str, ...] = ()
    created: str = ""

    @property
    def key(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"

    @property
    def ready(self) -> bool:
        """Every wanted replica is updated and available, and the controller has seen the spec."""
        return (
            self.observed_generation >= self.generation
            and self.updated_replicas >= self.replicas
            and self.available_replicas >= self.replicas
            and self.ready_replicas >= self.replicas
        )

    def condition(self, kind: str) -> Condition | None:
        """The condition of that type, if reported."""
        return next((c for c in self.conditions if c.type == kind), None)


class ServicePort(msgspec.Struct, frozen=True, gc=False):
    """One Service port."""

    name: str
    port: int
    target_port: str
    protocol: str = "TCP"


class ServiceInfo(msgspec.Struct, frozen=True, gc=False):
    """A Service summary."""

    namespace: str
    name: str
    type: str = "ClusterIP"
    cluster_ip: str = ""
    ports: tuple[ServicePort, ...] = ()
    selector: Pairs = ()

    @property
    def key(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"


class Endpoint(msgspec.Struct, frozen=True, gc=False):
    """One endpoint of a slice."""

    pod: str
    address: str
    ready: bool
    serving: bool
    terminating: bool


class EndpointSliceInfo(msgspec.Struct, frozen=True, gc=False):
    """An EndpointSlice summary."""

    namespace: str
    name: str
    service: str
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[tuple[str, int], ...] = ()

    @property
    def key(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"


class KubeEventInfo(msgspec.Struct, frozen=True, gc=False):
    """A Kubernetes Event summary."""

    namespace: str
    name: str
    type: str
    reason: str
    message: str
    object_kind: str
    object_name: str
    count: int = 1
    last_seen: str = ""
    first_seen: str = ""

    @property
    def key(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"

    @property
    def warning(self) -> bool:
        """A Warning event."""
        return self.type == "Warning"


KubeInfo = PodInfo | DeploymentInfo | ServiceInfo | EndpointSliceInfo | KubeEventInfo

WATCHED_KINDS: tuple[str, ...] = ("pods", "deployments", "services", "endpointslices", "events")
"""The API kinds devstack lists and watches (plural resource names), each a collection of `State`."""
