"""The Kubernetes API's JSON, as far as devstack reads it: typed `msgspec` Structs.

Only the fields the summaries use are declared; the decoder skips every other field without
building anything for it (a pod's spec, managedFields, annotations...). Arrays decode straight
into tuples, and status conditions straight into the summaries' own `Condition`.

A missing field takes the zero value of its type, as in the API's Go types, and so does a `null`
(the API server reads `null` as "not set": `core/kubedecode.py` drops nulls and decodes again
when an object has any). `None` is allowed where "not set" means something else than zero
(`spec.replicas`: 1; an endpoint's `ready`/`serving`: true) and on the times the API server
itself writes as `null` when not set (`eventTime` of every core/v1 Event, `lastTimestamp`...).
Field names follow the API (camelCase, through `rename`); nothing here knows the summaries' rules.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from devstack.core.kube import Condition

T = TypeVar("T")


class _Wire(msgspec.Struct, rename="camel", gc=False):
    """Base of every wire Struct: camelCase names on the wire, unknown fields skipped."""


class OwnerReference(_Wire):
    kind: str = ""
    name: str = ""
    controller: bool = False


class ObjectMeta(_Wire):
    name: str = ""
    namespace: str = ""
    uid: str = ""
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    creation_timestamp: str | None = None  # a Time: null when not set
    deletion_timestamp: str = ""
    resource_version: str = ""
    generation: int = 0
    owner_references: tuple[OwnerReference, ...] = ()


class ListMeta(_Wire):
    resource_version: str = ""


# ----------------------------------------------------------------------------- pods
class StateDetail(_Wire):
    """`state.waiting` / `running` / `terminated` (and `lastState.terminated`)."""

    reason: str = ""
    message: str = ""
    exit_code: int | None = None


class ContainerState(_Wire):
    """At most one of the three is set (the kubelet sets exactly one); in the API's field order."""

    waiting: StateDetail | None = None
    running: StateDetail | None = None
    terminated: StateDetail | None = None


class ContainerStatus(_Wire):
    name: str = ""
    image: str = ""
    ready: bool = False
    started: bool = False
    restart_count: int = 0
    state: ContainerState | None = None
    last_state: ContainerState | None = None


class Limits(_Wire):
    memory: str | int | float = ""


class Resources(_Wire):
    limits: Limits | None = None


class Container(_Wire):
    name: str = ""
    image: str = ""
    resources: Resources | None = None


class PodSpec(_Wire):
    containers: tuple[Container, ...] = ()
    init_containers: tuple[Container, ...] = ()
    node_name: str = ""


class PodStatus(_Wire):
    phase: str = ""
    conditions: tuple[Condition, ...] = ()
    container_statuses: tuple[ContainerStatus, ...] = ()
    init_container_statuses: tuple[ContainerStatus, ...] = ()
    pod_ip: str = msgspec.field(default="", name="podIP")


class Pod(_Wire):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: PodSpec = msgspec.field(default_factory=PodSpec)
    status: PodStatus = msgspec.field(default_factory=PodStatus)


# ----------------------------------------------------------------------------- deployments
class LabelSelector(_Wire):
    match_labels: dict[str, str] = msgspec.field(default_factory=dict)


class PodTemplate(_Wire):
    spec: PodSpec = msgspec.field(default_factory=PodSpec)


class DeploymentSpec(_Wire):
    replicas: int | None = None  # not set: 1
    selector: LabelSelector = msgspec.field(default_factory=LabelSelector)
    template: PodTemplate = msgspec.field(default_factory=PodTemplate)


class DeploymentStatus(_Wire):
    ready_replicas: int = 0
    available_replicas: int = 0
    updated_replicas: int = 0
    unavailable_replicas: int = 0
    observed_generation: int = 0
    conditions: tuple[Condition, ...] = ()


class Deployment(_Wire):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: DeploymentSpec = msgspec.field(default_factory=DeploymentSpec)
    status: DeploymentStatus = msgspec.field(default_factory=DeploymentStatus)


# ----------------------------------------------------------------------------- services
class ServicePort(_Wire):
    name: str = ""
    port: int = 0
    target_port: int | str | None = None  # not set: the port itself
    protocol: str = ""


class ServiceSpec(_Wire):
    type: str = ""
    cluster_ip: str = msgspec.field(default="", name="clusterIP")
    ports: tuple[ServicePort, ...] = ()
    selector: dict[str, str] = msgspec.field(default_factory=dict)


class Service(_Wire):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    spec: ServiceSpec = msgspec.field(default_factory=ServiceSpec)


# ----------------------------------------------------------------------------- endpointslices
class EndpointConditions(_Wire):
    ready: bool | None = None  # not set: true
    serving: bool | None = None  # not set: true
    terminating: bool = False


class ObjectReference(_Wire):
    kind: str = ""
    name: str = ""


class Endpoint(_Wire):
    addresses: tuple[str, ...] = ()
    conditions: EndpointConditions | None = None
    target_ref: ObjectReference | None = None


class EndpointPort(_Wire):
    name: str = ""
    port: int = 0


class EndpointSlice(_Wire):
    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    endpoints: tuple[Endpoint, ...] = ()
    ports: tuple[EndpointPort, ...] = ()


# ----------------------------------------------------------------------------- events
class Event(_Wire):
    """A core/v1 Event (`involvedObject`, `message`, `count`, `lastTimestamp`), or an events.k8s.io/v1
    one (`regarding`, `note`, `eventTime`)."""

    metadata: ObjectMeta = msgspec.field(default_factory=ObjectMeta)
    type: str = ""
    reason: str = ""
    message: str = ""
    note: str = ""
    involved_object: ObjectReference | None = None
    regarding: ObjectReference | None = None
    count: int = 0
    first_timestamp: str | None = None  # a Time: null when not set (events.k8s.io events seen as core/v1)
    last_timestamp: str | None = None
    event_time: str | None = None  # a MicroTime: null on core/v1 events


# ----------------------------------------------------------------------------- envelopes
class ObjectList(_Wire, Generic[T]):
    """A `PodList`, `EventList`...: the items and the list's resourceVersion."""

    metadata: ListMeta = msgspec.field(default_factory=ListMeta)
    items: tuple[T, ...] = ()


class WatchEvent(_Wire, Generic[T]):
    """One line of a watch stream: `{"type": ..., "object": ...}`."""

    type: str = ""
    object: T | None = None


class Status(_Wire):
    """The `Status` object of an `ERROR` watch event."""

    code: int = 0
    message: str = ""


class VersionInfo(_Wire):
    """`GET /version`."""

    git_version: str = ""
