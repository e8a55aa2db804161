"""From the API's JSON to summaries, decoded once: list bodies, watch lines, and plain dicts.

`codec(kind)` gives the decoder of one watched kind. A list body or a watch line is decoded in one
pass straight into the kind's wire Structs (`core/kubewire.py`: only the fields devstack uses, the
rest skipped unread), and the wire Struct into its summary (`core/kube.py`) by the rules below, the
only place that interprets API fields. `summarise(kind, obj)` applies the same rules to an object
that is already a dict (tests, the report's raw lists).

`null` means "not set", as on the API server: a body holding one is decoded again with its nulls
dropped (rare: the API server itself never writes them). A value of the wrong type raises
`DecodeError` naming the kind, the object and the field's path (client-go refuses such an object too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from devstack.core import kube
from devstack.core import kubewire as wire

W = TypeVar("W")
Info = TypeVar("Info", bound=kube.KubeInfo)


class DecodeError(ValueError):
    """A list body or watch line that does not match the API's types."""


_SORTED_LABELS: dict[tuple[tuple[str, str], ...], kube.Pairs] = {}
_SORTED_LABELS_LIMIT = 4096


def _pairs(labels: dict[str, str]) -> kube.Pairs:
    """Sorted label pairs, one shared tuple per label set (the pods of a workload share theirs)."""
    if not labels:
        return ()
    key = tuple(labels.items())
    found = _SORTED_LABELS.get(key)
    if found is None:
        if len(_SORTED_LABELS) >= _SORTED_LABELS_LIMIT:
            _SORTED_LABELS.clear()
        found = _SORTED_LABELS[key] = tuple(sorted(key))
    return found


def _state(state: wire.ContainerState | None) -> tuple[str, wire.StateDetail | None]:
    """The container's state and its detail (none reported: waiting)."""
    if state is not None:
        if state.waiting is not None:
            return "waiting", state.waiting
        if state.running is not None:
            return "running", state.running
        if state.terminated is not None:
            return "terminated", state.terminated
    return "waiting", None


# ----------------------------------------------------------------------------- rules per kind
def _container(spec: wire.Container, status: wire.ContainerStatus | None, init: bool) -> kube.ContainerInfo:
    resources = spec.resources
    limits = resources.limits if resources is not None else None
    memory = str(limits.memory) if limits is not None and limits.memory else ""
    if status is None:
        return kube.ContainerInfo(spec.name, spec.image, memory_limit=memory, init=init)
    kind, detail = _state(status.state)
    last_state = status.last_state
    last = last_state.terminated if last_state is not None else None
    if detail is None:
        reason = message = ""
        exit_code = None
    else:
        reason, message = detail.reason, detail.message
        exit_code = (detail.exit_code or 0) if kind == "terminated" else None
    if last is None:
        last_exit_code, last_reason, last_message = None, "", ""
    else:
        last_exit_code, last_reason, last_message = last.exit_code, last.reason, last.message
    return kube.ContainerInfo(
        spec.name,
        status.image or spec.image,
        status.ready,
        status.started,
        status.restart_count,
        kind,
        reason,
        message,
        exit_code,
        last_exit_code,
        last_reason,
        last_message,
        memory,
        init,
    )


def _containers(
    specs: tuple[wire.Container, ...], statuses: tuple[wire.ContainerStatus, ...], init: bool
) -> tuple[kube.ContainerInfo, ...]:
    if not specs:
        return ()
    if len(specs) == 1 and len(statuses) == 1 and specs[0].name == statuses[0].name:  # most pods
        return (_container(specs[0], statuses[0], init),)
    by_name = {s.name: s for s in statuses}
    return tuple([_container(c, by_name.get(c.name), init) for c in specs])


def pod_summary(pod: wire.Pod) -> kube.PodInfo:
    """Summarise a decoded Pod."""
    meta, spec, status = pod.metadata, pod.spec, pod.status
    containers = _containers(spec.containers, status.container_statuses, False)
    if spec.init_containers:
        containers = _containers(spec.init_containers, status.init_container_statuses, True) + containers
    ready = False
    for condition in status.conditions:
        if condition.type == "Ready" and condition.status == "True":
            ready = True
            break
    owner_kind = owner_name = ""
    for owner in meta.owner_references:
        if owner.controller:
            owner_kind, owner_name = owner.kind, owner.name
            break
    return kube.PodInfo(
        meta.namespace,
        meta.name,
        meta.uid,
        status.phase or "Pending",
        ready,
        containers,
        status.conditions,
        owner_kind,
        owner_name,
        _pairs(meta.labels),
        meta.creation_timestamp or "",
        bool(meta.deletion_timestamp),
        spec.node_name,
        status.pod_ip,
        meta.resource_version,
    )


def deployment_summary(deployment: wire.Deployment) -> kube.DeploymentInfo:
    """Summarise a decoded Deployment (no `spec.replicas` means 1, as the API defaults it)."""
    meta, spec, status = deployment.metadata, deployment.spec, deployment.status
    return kube.DeploymentInfo(
        namespace=meta.namespace,
        name=meta.name,
        uid=meta.uid,
        replicas=1 if spec.replicas is None else spec.replicas,
        ready_replicas=status.ready_replicas,
        available_replicas=status.available_replicas,
        updated_replicas=status.updated_replicas,
        unavailable_replicas=status.unavailable_replicas,
        generation=meta.generation,
        observed_generation=status.observed_generation,
        selector=_pairs(spec.selector.match_labels),
        conditions=status.conditions,
        images=tuple([c.image for c in spec.template.spec.containers]),
        created=meta.creation_timestamp or "",
    )


def _target_port(port: wire.ServicePort) -> str:
    """`targetPort` as written (a number or a port name); not set: the port itself, as the API defaults it."""
    if port.target_port is None:
        return str(port.port) if port.port else ""
    return str(port.target_port)


def service_summary(service: wire.Service) -> kube.ServiceInfo:
    """Summarise a decoded Service."""
    meta, spec = service.metadata, service.spec
    return kube.ServiceInfo(
        namespace=meta.namespace,
        name=meta.name,
        type=spec.type or "ClusterIP",
        cluster_ip=spec.cluster_ip,
        ports=tuple(
            [kube.ServicePort(p.name, p.port, _target_port(p), p.protocol or "TCP") for p in spec.ports]
        ),
        selector=_pairs(spec.selector),
    )


def _endpoint(item: wire.Endpoint) -> kube.Endpoint:
    conditions = item.conditions or wire.EndpointConditions()
    return kube.Endpoint(
        pod=item.target_ref.name if item.target_ref is not None else "",
        address=item.addresses[0] if item.addresses else "",
        ready=True if conditions.ready is None else conditions.ready,  # not set means ready (the API's rule)
        serving=True if conditions.serving is None else conditions.serving,
        terminating=conditions.terminating,
    )


def endpointslice_summary(slice_: wire.EndpointSlice) -> kube.EndpointSliceInfo:
    """Summarise a decoded EndpointSlice (conditions not set mean ready/serving true, terminating false)."""
    meta = slice_.metadata
    return kube.EndpointSliceInfo(
        namespace=meta.namespace,
        name=meta.name,
        service=meta.labels.get("kubernetes.io/service-name", ""),
        endpoints=tuple([_endpoint(item) for item in slice_.endpoints]),
        ports=tuple([(p.name, p.port) for p in slice_.ports]),
    )


def event_summary(event: wire.Event) -> kube.KubeEventInfo:
    """Summarise a decoded core/v1 Event, or an events.k8s.io/v1 one (`regarding`, `note`, `eventTime`)."""
    meta = event.metadata
    involved = event.involved_object
    if involved is None or not (involved.kind or involved.name):
        involved = event.regarding or involved
    return kube.KubeEventInfo(
        namespace=meta.namespace,
        name=meta.name,
        type=event.type or "Normal",
        reason=event.reason,
        message=event.message or event.note,
        object_kind=involved.kind if involved is not None else "",
        object_name=involved.name if involved is not None else "",
        count=event.count or 1,
        last_seen=event.last_timestamp or event.event_time or meta.creation_timestamp or "",
        first_seen=event.first_timestamp or event.event_time or meta.creation_timestamp or "",
    )


# ----------------------------------------------------------------------------- decoding
def without_nulls(value: Any) -> Any:
    """`value` (decoded JSON) without the `null` members of its objects: "not set", as the API reads it."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


class WatchLine(msgspec.Struct, frozen=True, gc=False):
    """One decoded watch line.

    Attributes:
        type: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
        item: The summary (ADDED, MODIFIED, DELETED), else None.
        resource_version: The object's resourceVersion ("" when it has none).
        code: ERROR only: the Status code (410: the version is too old).
        message: ERROR only: the Status message.
    """

    type: str
    item: kube.KubeInfo | None
    resource_version: str
    code: int = 0
    message: str = ""


_CHANGES = frozenset(("ADDED", "MODIFIED", "DELETED"))
_RAW_LIST = msgspec.json.Decoder(wire.ObjectList[msgspec.Raw])


class Codec(Generic[W, Info]):
    """Decodes one kind's list bodies and watch lines into its summaries.

    Args:
        kind: The plural resource name (`pods`).
        wire_type: The kind's wire Struct.
        summary: The rule from a wire Struct to its summary.
    """

    def __init__(self, kind: str, wire_type: type[W], summary: Callable[[W], Info]):
        self.kind = kind
        self.summary = summary
        self._wire_type = wire_type
        self._line_type: Any = wire.WatchEvent[wire_type]  # type: ignore[valid-type]
        self._item = msgspec.json.Decoder(wire_type)
        self._line = msgspec.json.Decoder(self._line_type)

    def decode_list(self, body: bytes) -> tuple[tuple[Info, ...], str]:
        """A list body: (summaries, the list's resourceVersion).

        The items are found first (slices of `body`, nothing decoded) and then decoded one at a
        time, so only one item's wire Structs exist at once: a list of 30,000 events costs its
        body and its summaries, not a second copy of everything.
        """
        try:
            found = _RAW_LIST.decode(body)
        except msgspec.DecodeError as err:
            raise DecodeError(f"{self.kind} list: {err}") from None
        decode, summary = self._item.decode, self.summary
        items = []
        for raw in found.items:
            try:
                item = decode(raw)
            except msgspec.ValidationError:
                item = self._convert(msgspec.json.decode(raw), self._wire_type, "list")
            items.append(summary(item))
        return tuple(items), found.metadata.resource_version

    def decode_line(self, line: bytes) -> WatchLine:
        """One watch line (an ERROR line carries a Status, not an object of the kind)."""
        try:
            event = self._line.decode(line)
        except msgspec.ValidationError:
            return self._odd_line(line)
        except msgspec.DecodeError as err:
            raise DecodeError(f"{self.kind} watch: {err}") from None
        kind, obj = event.type, event.object
        if kind in _CHANGES and obj is not None:  # the fast path: one summary per line
            return WatchLine(kind, self.summary(obj), obj.metadata.resource_version)
        if kind == "ERROR":
            return self._odd_line(line)
        return self._watch_line(event)

    def _watch_line(self, event: Any) -> WatchLine:
        obj, kind = event.object, event.type
        if obj is None:
            return WatchLine(kind, None, "")
        return WatchLine(kind, self.summary(obj) if kind in _CHANGES else None, obj.metadata.resource_version)

    def _odd_line(self, line: bytes) -> WatchLine:
        """An ERROR line, or a line holding a null or a value of the wrong type."""
        raw = msgspec.json.decode(line)
        if isinstance(raw, dict) and raw.get("type") == "ERROR":
            status = self._convert(raw.get("object") or {}, wire.Status, "watch ERROR")
            return WatchLine("ERROR", None, "", status.code, status.message)
        return self._watch_line(self._convert(raw, self._line_type, "watch"))

    def _convert(self, raw: Any, into: Any, what: str) -> Any:
        try:
            return msgspec.convert(without_nulls(raw), into)
        except msgspec.ValidationError as err:
            raise DecodeError(f"{self.kind} {what}: {_named(raw)}: {err}") from None

    def from_dict(self, obj: Mapping[str, Any]) -> Info:
        """Summarise an object that is already a dict (same rules, same types)."""
        return self.summary(self._convert(obj, self._wire_type, "object"))


def _named(raw: Any) -> str:
    """`object NAMESPACE/NAME` of decoded JSON (an object, a watch event), for messages."""
    if isinstance(raw, dict) and isinstance(raw.get("object"), dict):
        raw = raw["object"]
    meta = raw.get("metadata") if isinstance(raw, dict) else None
    if not isinstance(meta, dict):
        return "an object"
    return f"object {meta.get('namespace') or ''}/{meta.get('name') or ''}".replace("object /", "object ")


CODECS: dict[str, Codec[Any, Any]] = {
    "pods": Codec("pods", wire.Pod, pod_summary),
    "deployments": Codec("deployments", wire.Deployment, deployment_summary),
    "services": Codec("services", wire.Service, service_summary),
    "endpointslices": Codec("endpointslices", wire.EndpointSlice, endpointslice_summary),
    "events": Codec("events", wire.Event, event_summary),
}


def codec(kind: str) -> Codec[Any, Any]:
    """The decoder of a watched kind (`pods`, `deployments`, `services`, `endpointslices`, `events`)."""
    return CODECS[kind]


def summarise(kind: str, obj: Mapping[str, Any]) -> kube.KubeInfo:
    """The summary of one object of `kind` given as a dict (raises `DecodeError` on wrong types)."""
    summary: kube.KubeInfo = CODECS[kind].from_dict(obj)
    return summary


def pod_info(obj: Mapping[str, Any]) -> kube.PodInfo:
    """Summarise a Pod given as a dict."""
    info: kube.PodInfo = CODECS["pods"].from_dict(obj)
    return info


def deployment_info(obj: Mapping[str, Any]) -> kube.DeploymentInfo:
    """Summarise a Deployment given as a dict."""
    info: kube.DeploymentInfo = CODECS["deployments"].from_dict(obj)
    return info


def service_info(obj: Mapping[str, Any]) -> kube.ServiceInfo:
    """Summarise a Service given as a dict."""
    info: kube.ServiceInfo = CODECS["services"].from_dict(obj)
    return info


def endpointslice_info(obj: Mapping[str, Any]) -> kube.EndpointSliceInfo:
    """Summarise an EndpointSlice given as a dict."""
    info: kube.EndpointSliceInfo = CODECS["endpointslices"].from_dict(obj)
    return info


def kube_event_info(obj: Mapping[str, Any]) -> kube.KubeEventInfo:
    """Summarise a core/v1 or events.k8s.io/v1 Event given as a dict."""
    info: kube.KubeEventInfo = CODECS["events"].from_dict(obj)
    return info


SUMMARISERS: dict[str, Callable[[Mapping[str, Any]], kube.KubeInfo]] = {
    "pods": pod_info,
    "deployments": deployment_info,
    "services": service_info,
    "endpointslices": endpointslice_info,
    "events": kube_event_info,
}
"""The watched kinds' summaries of objects given as dicts (same rules as the typed decoding)."""


def server_version(body: bytes) -> str:
    """`gitVersion` of a `GET /version` answer ("" when absent)."""
    try:
        return msgspec.json.decode(body, type=wire.VersionInfo).git_version
    except msgspec.DecodeError as err:
        raise DecodeError(f"/version: {err}") from None
