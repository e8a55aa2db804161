"""The rules from the API's fields to devstack's summaries: one function per watched kind.

They read the wire Structs of `core/kubewire.py` (decoded by `core/kubedecode.py`) and build the
immutable summaries of `core/kube.py`; this is the only place that interprets API fields.
"""

from __future__ import annotations

from devstack.core import kube
from devstack.core import kubewire as wire

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
