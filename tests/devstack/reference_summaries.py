"""The summarisers devstack used before `core/kubedecode.py`: `json.loads` dicts read with `.get`.

Kept verbatim (as last on main: `Condition.since` from `lastTransitionTime`, `first_seen`) as the
oracle of the decoder's correctness tests: the typed decoder must give the same summaries on
every recorded object, and on odd ones, except where this old path turned a `null` into the
string "None".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from devstack.core.kube import (
    Condition,
    ContainerInfo,
    DeploymentInfo,
    Endpoint,
    EndpointSliceInfo,
    KubeEventInfo,
    KubeInfo,
    PodInfo,
    ServiceInfo,
    ServicePort,
)

Raw = Mapping[str, Any]
Pairs = tuple[tuple[str, str], ...]


def _meta(obj: Raw) -> Raw:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _pairs(value: object) -> Pairs:
    if not isinstance(value, Mapping):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _conditions(value: object) -> tuple[Condition, ...]:
    if not isinstance(value, Sequence):
        return ()
    return tuple(
        Condition(
            str(c.get("type", "")),
            str(c.get("status", "")),
            str(c.get("reason") or ""),
            str(c.get("message") or ""),
            str(c.get("lastTransitionTime") or ""),
        )
        for c in value
        if isinstance(c, Mapping)
    )


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _container(spec: Raw, status: Raw | None, init: bool) -> ContainerInfo:
    status = status or {}
    state: Raw = status.get("state") or {}
    last: Raw = (status.get("lastState") or {}).get("terminated") or {}
    kind, value = next(iter(state.items()), ("waiting", {}))
    detail: Raw = value if isinstance(value, Mapping) else {}
    limits = (spec.get("resources") or {}).get("limits") or {}
    return ContainerInfo(
        name=str(spec.get("name", "")),
        image=str(status.get("image") or spec.get("image") or ""),
        ready=bool(status.get("ready")),
        started=bool(status.get("started")),
        restart_count=_int(status.get("restartCount")),
        state=str(kind),
        reason=str(detail.get("reason") or ""),
        message=str(detail.get("message") or ""),
        exit_code=_int(detail.get("exitCode")) if kind == "terminated" else None,
        last_exit_code=_int(last.get("exitCode")) if "exitCode" in last else None,
        last_reason=str(last.get("reason") or ""),
        last_message=str(last.get("message") or ""),
        memory_limit=str(limits.get("memory") or ""),
        init=init,
    )


def pod_info(obj: Raw) -> PodInfo:
    """Summarise a Pod dict."""
    meta, spec, status = _meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or [] if isinstance(s, Mapping)}
    init_statuses = {
        s.get("name"): s for s in status.get("initContainerStatuses") or [] if isinstance(s, Mapping)
    }
    containers = tuple(
        _container(c, init_statuses.get(c.get("name")), True) for c in spec.get("initContainers") or []
    ) + tuple(_container(c, statuses.get(c.get("name")), False) for c in spec.get("containers") or [])
    conditions = _conditions(status.get("conditions"))
    owner: Raw = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), {})
    return PodInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        phase=str(status.get("phase") or "Pending"),
        ready=any(c.type == "Ready" and c.status == "True" for c in conditions),
        containers=containers,
        conditions=conditions,
        owner_kind=str(owner.get("kind", "")),
        owner_name=str(owner.get("name", "")),
        labels=_pairs(meta.get("labels")),
        created=str(meta.get("creationTimestamp") or ""),
        deleting=bool(meta.get("deletionTimestamp")),
        node=str(spec.get("nodeName") or ""),
        pod_ip=str(status.get("podIP") or ""),
        resource_version=str(meta.get("resourceVersion") or ""),
    )


def deployment_info(obj: Raw) -> DeploymentInfo:
    """Summarise a Deployment dict."""
    meta, spec, status = _meta(obj), obj.get("spec") or {}, obj.get("status") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    return DeploymentInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        replicas=_int(spec.get("replicas"), 1),
        ready_replicas=_int(status.get("readyReplicas")),
        available_replicas=_int(status.get("availableReplicas")),
        updated_replicas=_int(status.get("updatedReplicas")),
        unavailable_replicas=_int(status.get("unavailableReplicas")),
        generation=_int(meta.get("generation")),
        observed_generation=_int(status.get("observedGeneration")),
        selector=_pairs((spec.get("selector") or {}).get("matchLabels")),
        conditions=_conditions(status.get("conditions")),
        images=tuple(str(c.get("image", "")) for c in template.get("containers") or []),
        created=str(meta.get("creationTimestamp") or ""),
    )


def service_info(obj: Raw) -> ServiceInfo:
    """Summarise a Service dict."""
    meta, spec = _meta(obj), obj.get("spec") or {}
    ports = tuple(
        ServicePort(
            str(p.get("name") or ""),
            _int(p.get("port")),
            str(p.get("targetPort", p.get("port", ""))),
            str(p.get("protocol") or "TCP"),
        )
        for p in spec.get("ports") or []
        if isinstance(p, Mapping)
    )
    return ServiceInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        type=str(spec.get("type") or "ClusterIP"),
        cluster_ip=str(spec.get("clusterIP") or ""),
        ports=ports,
        selector=_pairs(spec.get("selector")),
    )


def endpointslice_info(obj: Raw) -> EndpointSliceInfo:
    """Summarise an EndpointSlice dict (nil conditions mean ready/serving true, terminating false)."""
    meta = _meta(obj)
    endpoints = []
    for item in obj.get("endpoints") or []:
        conditions = item.get("conditions") or {}
        ready = conditions.get("ready")
        serving = conditions.get("serving")
        endpoints.append(
            Endpoint(
                pod=str((item.get("targetRef") or {}).get("name") or ""),
                address=str((item.get("addresses") or [""])[0]),
                ready=True if ready is None else bool(ready),
                serving=True if serving is None else bool(serving),
                terminating=bool(conditions.get("terminating")),
            )
        )
    ports = tuple((str(p.get("name") or ""), _int(p.get("port"))) for p in obj.get("ports") or [])
    return EndpointSliceInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        service=str((meta.get("labels") or {}).get("kubernetes.io/service-name", "")),
        endpoints=tuple(endpoints),
        ports=ports,
    )


def kube_event_info(obj: Raw) -> KubeEventInfo:
    """Summarise a core/v1 Event dict."""
    meta = _meta(obj)
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    return KubeEventInfo(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        type=str(obj.get("type") or "Normal"),
        reason=str(obj.get("reason") or ""),
        message=str(obj.get("message") or obj.get("note") or ""),
        object_kind=str(involved.get("kind") or ""),
        object_name=str(involved.get("name") or ""),
        count=_int(obj.get("count"), 1) or 1,
        last_seen=str(
            obj.get("lastTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp") or ""
        ),
        first_seen=str(
            obj.get("firstTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp") or ""
        ),
    )


OLD_SUMMARISERS: dict[str, Callable[[Raw], KubeInfo]] = {
    "pods": pod_info,
    "deployments": deployment_info,
    "services": service_info,
    "endpointslices": endpointslice_info,
    "events": kube_event_info,
}
