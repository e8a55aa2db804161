"""Per-kind columns and cells of server-side Table output (after pkg/printers/internalversion).

`PRINTERS` maps a kind to its columns — (name, priority, type); priority 1 is what `-o wide`
adds — and a function computing the cells after NAME.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from devstack_sim.store import Obj

Column = tuple[str, int, str]  # name, priority, type
Cells = list[Any]


def human_duration(seconds: float) -> str:
    """kubectl's `duration.HumanDuration`."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        return f"{minutes}m{total % 60}s" if total % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    days = hours // 24
    return f"{days // 365}y{days % 365}d" if days < 365 * 8 and days % 365 else f"{days // 365}y"


def since(stamp: Any) -> str:
    """The age of an RFC 3339 timestamp as kubectl prints it."""
    if not stamp:
        return "<unknown>"
    try:
        moment = datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return "<unknown>"
    return human_duration((datetime.datetime.now(datetime.UTC) - moment).total_seconds())


def age(obj: Obj) -> str:
    """The AGE cell of an object."""
    return since(obj.get("metadata", {}).get("creationTimestamp"))


def _none(value: Any) -> str:
    return str(value) if value not in (None, "", []) else "<none>"


def _selector(labels: Any) -> str:
    return ",".join(f"{k}={v}" for k, v in (labels or {}).items()) or "<none>"


def _pod_status(pod: Obj) -> tuple[str, int, int, str]:
    spec, status = pod.get("spec", {}), pod.get("status", {})
    reason = status.get("reason") or status.get("phase") or "Pending"
    restarts, ready, last_restart = 0, 0, ""
    initializing = False
    inits = status.get("initContainerStatuses") or []
    for i, container in enumerate(inits):
        restarts += int(container.get("restartCount", 0))
        state = container.get("state", {})
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated and terminated.get("exitCode") == 0:
            continue
        if terminated:
            reason = "Init:" + (terminated.get("reason") or f"ExitCode:{terminated.get('exitCode')}")
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{len(spec.get('initContainers') or inits)}"
        initializing = True
        break
    if not initializing:
        has_running = False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += int(container.get("restartCount", 0))
            finished = (container.get("lastState") or {}).get("terminated") or {}
            last_restart = max(last_restart, str(finished.get("finishedAt") or ""))
            state = container.get("state", {})
            waiting, terminated = state.get("waiting") or {}, state.get("terminated")
            if waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                signal = terminated.get("signal")
                reason = f"Signal:{signal}" if signal else f"ExitCode:{terminated.get('exitCode', 0)}"
            elif container.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
            reason = "Running" if conditions.get("Ready") == "True" else "NotReady"
    if pod.get("metadata", {}).get("deletionTimestamp") and status.get("phase") not in (
        "Succeeded",
        "Failed",
    ):
        reason = "Terminating"
    return reason, ready, restarts, last_restart


def _pod(pod: Obj) -> Cells:
    reason, ready, restarts, last_restart = _pod_status(pod)
    shown = f"{restarts} ({since(last_restart)} ago)" if restarts and last_restart else str(restarts)
    total = len(pod.get("spec", {}).get("containers") or [])
    status = pod.get("status", {})
    gates = pod.get("spec", {}).get("readinessGates") or []
    return [
        f"{ready}/{total}",
        reason,
        shown,
        age(pod),
        _none(status.get("podIP")),
        _none(pod.get("spec", {}).get("nodeName")),
        _none(status.get("nominatedNodeName")),
        _none(",".join(g.get("conditionType", "") for g in gates)),
    ]


def _containers(template: Obj) -> list[str]:
    containers = template.get("spec", {}).get("containers") or []
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)]


def _deployment(obj: Obj) -> Cells:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    return [
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(obj),
        *_containers(spec.get("template", {})),
        _selector(spec.get("selector", {}).get("matchLabels")),
    ]


def _replicaset(obj: Obj) -> Cells:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    return [
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(obj),
        *_containers(spec.get("template", {})),
        _selector(spec.get("selector", {}).get("matchLabels")),
    ]


def _service(obj: Obj) -> Cells:
    spec = obj.get("spec", {})
    ports = []
    for port in spec.get("ports") or []:
        node = f":{port['nodePort']}" if port.get("nodePort") else ""
        ports.append(f"{port.get('port')}{node}/{port.get('protocol', 'TCP')}")
    ingress = obj.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or ",".join(
        spec.get("externalIPs") or []
    )
    if not external:
        external = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    return [
        spec.get("type", "ClusterIP"),
        _none(spec.get("clusterIP")),
        external,
        _none(",".join(ports)),
        age(obj),
        _selector(spec.get("selector")),
    ]


def _node(obj: Obj) -> Cells:
    status = obj.get("status", {})
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    shown = (
        "Ready" if conditions.get("Ready") == "True" else "NotReady" if "Ready" in conditions else "Unknown"
    )
    if obj.get("spec", {}).get("unschedulable"):
        shown += ",SchedulingDisabled"
    prefix = "node-role.kubernetes.io/"
    roles = sorted(
        k[len(prefix) :] for k in obj.get("metadata", {}).get("labels", {}) if k.startswith(prefix)
    )
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo", {})
    return [
        shown,
        ",".join(roles) or "<none>",
        age(obj),
        info.get("kubeletVersion", ""),
        _none(addresses.get("InternalIP")),
        _none(addresses.get("ExternalIP")),
        info.get("osImage", ""),
        info.get("kernelVersion", ""),
        info.get("containerRuntimeVersion", ""),
    ]


def _event(obj: Obj) -> Cells:
    involved = obj.get("involvedObject", {})
    last = (
        obj.get("lastTimestamp") or obj.get("eventTime") or obj.get("metadata", {}).get("creationTimestamp")
    )
    first = obj.get("firstTimestamp") or obj.get("eventTime")
    source = obj.get("source", {}).get("component") or obj.get("reportingComponent", "")
    return [
        since(last),
        obj.get("type", ""),
        obj.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        involved.get("fieldPath", ""),
        source,
        obj.get("message", ""),
        since(first),
        obj.get("count", 1),
        obj["metadata"]["name"],
    ]


def _endpointslice(obj: Obj) -> Cells:
    ports = ",".join(str(p.get("port")) for p in obj.get("ports") or []) or "<unset>"
    addresses = [a for e in obj.get("endpoints") or [] for a in e.get("addresses") or []]
    shown = ",".join(addresses[:3]) + (f" + {len(addresses) - 3} more..." if len(addresses) > 3 else "")
    return [obj.get("addressType", ""), ports, shown or "<unset>", age(obj)]


def _ingress(obj: Obj) -> Cells:
    spec = obj.get("spec", {})
    hosts = ",".join(r.get("host", "") for r in spec.get("rules") or [] if r.get("host")) or "*"
    ingress = obj.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    address = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress)
    ports = "80, 443" if spec.get("tls") else "80"
    return [_none(spec.get("ingressClassName")), hosts, address, ports, age(obj)]


S, INT = "string", "integer"
PRINTERS: dict[str, tuple[list[Column], Callable[[Obj], Cells]]] = {
    "Pod": (
        [
            ("Ready", 0, S),
            ("Status", 0, S),
            ("Restarts", 0, S),
            ("Age", 0, S),
            ("IP", 1, S),
            ("Node", 1, S),
            ("Nominated Node", 1, S),
            ("Readiness Gates", 1, S),
        ],
        _pod,
    ),
    "Deployment": (
        [
            ("Ready", 0, S),
            ("Up-to-date", 0, INT),
            ("Available", 0, INT),
            ("Age", 0, S),
            ("Containers", 1, S),
            ("Images", 1, S),
            ("Selector", 1, S),
        ],
        _deployment,
    ),
    "ReplicaSet": (
        [
            ("Desired", 0, INT),
            ("Current", 0, INT),
            ("Ready", 0, INT),
            ("Age", 0, S),
            ("Containers", 1, S),
            ("Images", 1, S),
            ("Selector", 1, S),
        ],
        _replicaset,
    ),
    "Service": (
        [
            ("Type", 0, S),
            ("Cluster-IP", 0, S),
            ("External-IP", 0, S),
            ("Port(s)", 0, S),
            ("Age", 0, S),
            ("Selector", 1, S),
        ],
        _service,
    ),
    "Node": (
        [
            ("Status", 0, S),
            ("Roles", 0, S),
            ("Age", 0, S),
            ("Version", 0, S),
            ("Internal-IP", 1, S),
            ("External-IP", 1, S),
            ("OS-Image", 1, S),
            ("Kernel-Version", 1, S),
            ("Container-Runtime", 1, S),
        ],
        _node,
    ),
    "Namespace": (
        [("Status", 0, S), ("Age", 0, S)],
        lambda o: [o.get("status", {}).get("phase", ""), age(o)],
    ),
    "ConfigMap": (
        [("Data", 0, INT), ("Age", 0, S)],
        lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {}), age(o)],
    ),
    "Secret": (
        [("Type", 0, S), ("Data", 0, INT), ("Age", 0, S)],
        lambda o: [o.get("type", ""), len(o.get("data") or {}), age(o)],
    ),
    "ServiceAccount": (
        [("Secrets", 0, INT), ("Age", 0, S)],
        lambda o: [len(o.get("secrets") or []), age(o)],
    ),
    "Event": (
        [
            ("Last Seen", 0, S),
            ("Type", 0, S),
            ("Reason", 0, S),
            ("Object", 0, S),
            ("Subobject", 1, S),
            ("Source", 1, S),
            ("Message", 0, S),
            ("First Seen", 1, S),
            ("Count", 1, INT),
            ("Name", 1, S),
        ],
        _event,
    ),
    "EndpointSlice": (
        [("AddressType", 0, S), ("Ports", 0, S), ("Endpoints", 0, S), ("Age", 0, S)],
        _endpointslice,
    ),
    "Ingress": (
        [("Class", 0, S), ("Hosts", 0, S), ("Address", 0, S), ("Ports", 0, S), ("Age", 0, S)],
        _ingress,
    ),
}
