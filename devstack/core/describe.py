"""`kubectl describe` as pure functions: an object (a plain dict from the API), the Events about it and
related objects in, the familiar text out.

Pods, Deployments, Services, Secrets and ConfigMaps have their own layout (metadata, spec essentials,
status, conditions, containers with state and last state, events); every other kind gets the
metadata, its spec and status nested, its conditions and events. A Secret shows its keys and sizes,
never a value; literal env values and ConfigMap data pass through `core/redact.py`, so a password
written into a manifest is not shown either.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any

from devstack.core.describe_format import (
    NONE,
    align,
    condition_lines,
    event_lines,
    mapping_lines,
    meta_lines,
    nested_lines,
    text,
)
from devstack.core.describe_pod import container_spec, describe_pod, tolerations, volumes
from devstack.core.redact import redact_text

Obj = Mapping[str, Any]


def describe(
    obj: Obj, events: Sequence[Obj] = (), now: float = 0.0, related: Sequence[Obj] = ()
) -> list[str]:
    """The describe text of `obj` as lines.

    Args:
        obj: The object, as the API returns it (`kind` set).
        events: Events whose `involvedObject` is this object.
        now: Seconds since the epoch (for the events' ages).
        related: ReplicaSets of a Deployment, EndpointSlices of a Service (optional).
    """
    kind = str(obj.get("kind") or "")
    describer = _DESCRIBERS.get(kind, _generic)
    lines = describer(obj, related)
    if kind not in _WITHOUT_EVENTS:
        lines += event_lines(list(events), now)
    return align(lines)


def _deployment(obj: Obj, related: Sequence[Obj]) -> list[str]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    lines = meta_lines(obj, created=True)
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    lines.append(f"Selector:\t{','.join(f'{k}={v}' for k, v in sorted(selector.items())) or NONE}")
    lines.append(
        f"Replicas:\t{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
        f"{status.get('replicas', 0)} total | {status.get('availableReplicas', 0)} available | "
        f"{status.get('unavailableReplicas', 0)} unavailable"
    )
    strategy = spec.get("strategy") or {}
    lines.append(f"StrategyType:\t{strategy.get('type') or 'RollingUpdate'}")
    lines.append(f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}")
    rolling = strategy.get("rollingUpdate") or {}
    if (strategy.get("type") or "RollingUpdate") == "RollingUpdate":
        lines.append(
            f"RollingUpdateStrategy:\t{rolling.get('maxUnavailable', '25%')} max unavailable, "
            f"{rolling.get('maxSurge', '25%')} max surge"
        )
    template = spec.get("template") or {}
    lines.append("Pod Template:")
    template_meta = template.get("metadata") or {}
    lines += [f"  {line}" for line in mapping_lines("Labels", template_meta.get("labels"))]
    if template_meta.get("annotations"):
        lines += [f"  {line}" for line in mapping_lines("Annotations", template_meta["annotations"], ": ")]
    lines.append("  Containers:")
    for container in (template.get("spec") or {}).get("containers") or []:
        lines.append(f"   {text(container.get('name', ''))}:")
        lines.append(f"    Image:\t{text(container.get('image', ''))}")
        lines += container_spec(container, {}, indent=4)
    pod_spec = template.get("spec") or {}
    lines += [f"  {line}" for line in volumes(pod_spec.get("volumes"))]
    lines += [f"  {line}" for line in mapping_lines("Node-Selectors", pod_spec.get("nodeSelector"), ":")]
    lines.append(f"  Tolerations:\t{tolerations(pod_spec.get('tolerations'))}")
    lines += condition_lines(status.get("conditions"), with_reason=True)
    owned = [r for r in related if str(r.get("kind") or "ReplicaSet") == "ReplicaSet"]
    revision = str(
        ((obj.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision", "")
    )
    new = [
        r
        for r in owned
        if ((r.get("metadata") or {}).get("annotations") or {}).get("deployment.kubernetes.io/revision")
        == revision
    ]
    old = [r for r in owned if r not in new and ((r.get("spec") or {}).get("replicas") or 0) > 0]
    lines.append(f"OldReplicaSets:\t{', '.join(_rs(r) for r in old) or NONE}")
    lines.append(f"NewReplicaSet:\t{', '.join(_rs(r) for r in new) or NONE}")
    return lines


def _rs(replicaset: Obj) -> str:
    name = (replicaset.get("metadata") or {}).get("name", "")
    made, wanted = (
        (replicaset.get("status") or {}).get("replicas", 0),
        (replicaset.get("spec") or {}).get("replicas", 0),
    )
    return f"{text(name)} ({made}/{wanted} replicas created)"


def _service(obj: Obj, related: Sequence[Obj]) -> list[str]:
    spec = obj.get("spec") or {}
    lines = meta_lines(obj)
    selector = spec.get("selector") or {}
    lines.append(f"Selector:\t{','.join(f'{k}={v}' for k, v in sorted(selector.items())) or NONE}")
    lines.append(f"Type:\t{spec.get('type') or 'ClusterIP'}")
    lines.append(f"IP Family Policy:\t{spec.get('ipFamilyPolicy') or 'SingleStack'}")
    lines.append(f"IP Families:\t{','.join(spec.get('ipFamilies') or ['IPv4'])}")
    lines.append(f"IP:\t{spec.get('clusterIP') or NONE}")
    lines.append(f"IPs:\t{','.join(spec.get('clusterIPs') or [spec.get('clusterIP') or '']) or NONE}")
    addresses = [
        a
        for s in related
        for e in s.get("endpoints") or []
        if (e.get("conditions") or {}).get("ready", True)
        for a in e.get("addresses") or []
    ]
    for port in spec.get("ports") or []:
        name = port.get("name") or "<unset>"
        lines.append(f"Port:\t{name}\t{port.get('port')}/{port.get('protocol') or 'TCP'}")
        lines.append(
            f"TargetPort:\t{port.get('targetPort', port.get('port'))}/{port.get('protocol') or 'TCP'}"
        )
        target = port.get("targetPort", port.get("port"))
        numbers = {
            p.get("port")
            for s in related
            for p in s.get("ports") or []
            if p.get("name", "") == port.get("name", "")
        }
        shown = [f"{a}:{n}" for a in addresses for n in sorted(numbers, key=str) if n] or (
            [f"{a}:{target}" for a in addresses]
        )
        lines.append(f"Endpoints:\t{','.join(shown)}")
    lines.append(f"Session Affinity:\t{spec.get('sessionAffinity') or 'None'}")
    lines.append(f"Internal Traffic Policy:\t{spec.get('internalTrafficPolicy') or 'Cluster'}")
    return lines


def _secret(obj: Obj, _related: Sequence[Obj]) -> list[str]:
    lines = [*meta_lines(obj), "", f"Type:\t{obj.get('type') or 'Opaque'}", "", "Data", "===="]
    data = obj.get("data") or {}
    for key in sorted(data):
        lines.append(f"{text(key)}:\t{_size(data[key])} bytes")
    for key in sorted((obj.get("stringData") or {}).keys() - data.keys()):
        lines.append(f"{text(key)}:\t{len(str(obj['stringData'][key]).encode())} bytes")
    return lines


def _size(value: object) -> int:
    try:
        return len(base64.b64decode(str(value), validate=False))
    except (binascii.Error, ValueError):
        return 0


def _configmap(obj: Obj, _related: Sequence[Obj]) -> list[str]:
    lines = [*meta_lines(obj), "", "Data", "===="]
    for key, value in sorted((obj.get("data") or {}).items()):
        lines += [f"{text(key)}:", "----", *redact_text(str(value)).splitlines(), ""]
    lines += ["", "BinaryData", "===="]
    lines += [
        f"{text(key)}:\t{_size(value)} bytes" for key, value in sorted((obj.get("binaryData") or {}).items())
    ]
    lines.append("")
    return lines


def _endpoints(obj: Obj, _related: Sequence[Obj]) -> list[str]:
    lines = [*meta_lines(obj), "Subsets:"]
    for subset in obj.get("subsets") or []:
        ready = ",".join(str(a.get("ip")) for a in subset.get("addresses") or []) or NONE
        not_ready = ",".join(str(a.get("ip")) for a in subset.get("notReadyAddresses") or []) or NONE
        lines += [f"  Addresses:\t{ready}", f"  NotReadyAddresses:\t{not_ready}", "  Ports:"]
        lines += ["    Name\tPort\tProtocol", "    ----\t----\t--------"]
        for port in subset.get("ports") or []:
            lines.append(
                f"    {port.get('name') or '<unset>'}\t{port.get('port')}\t{port.get('protocol') or 'TCP'}"
            )
        lines.append("")
    return lines


def _generic(obj: Obj, _related: Sequence[Obj]) -> list[str]:
    lines = meta_lines(obj)
    lines += [f"API Version:\t{obj.get('apiVersion', '')}", f"Kind:\t{obj.get('kind', '')}"]
    for section in ("spec", "data", "subsets", "endpoints", "ports"):
        value = obj.get(section)
        if value:
            lines.append(f"{section[:1].upper() + section[1:]}:")
            lines += nested_lines(value, 2)
    status = {k: v for k, v in (obj.get("status") or {}).items() if k != "conditions"}
    if status:
        lines.append("Status:")
        lines += nested_lines(status, 2)
    lines += condition_lines((obj.get("status") or {}).get("conditions"), with_reason=True)
    return lines


_WITHOUT_EVENTS = frozenset({"Secret"})  # kubectl's Secret describer shows none
_DESCRIBERS = {
    "Pod": describe_pod,
    "Deployment": _deployment,
    "Service": _service,
    "Secret": _secret,
    "ConfigMap": _configmap,
    "Endpoints": _endpoints,
}
