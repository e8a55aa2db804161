"""`kubectl describe pod` and the pieces a Deployment's pod template shares with it: containers with
state and last state, probes, env (literal values through `core/redact.py`), mounts, volumes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from devstack.core.describe_format import (
    LAST_APPLIED,
    NONE,
    condition_lines,
    mapping_lines,
    quantity_lines,
    text,
    when,
)
from devstack.core.redact import redact_text, redact_value

Obj = Mapping[str, Any]


def describe_pod(obj: Obj, _related: Sequence[Obj]) -> list[str]:
    """The describe lines of a Pod (before its events)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    lines = [f"Name:\t{text(meta.get('name', ''))}", f"Namespace:\t{text(meta.get('namespace', ''))}"]
    lines += [
        f"Priority:\t{spec.get('priority', 0)}",
        f"Service Account:\t{text(spec.get('serviceAccountName') or 'default')}",
        f"Node:\t{_node(spec, status)}",
        f"Start Time:\t{when(status.get('startTime'))}",
    ]
    lines += mapping_lines("Labels", meta.get("labels"))
    lines += mapping_lines("Annotations", meta.get("annotations"), ": ", skip=(LAST_APPLIED,))
    phase = str(status.get("phase") or "Pending")
    lines.append(f"Status:\t{'Terminating' if meta.get('deletionTimestamp') else phase}")
    if status.get("reason"):
        lines.append(f"Reason:\t{text(status['reason'])}")
    seccomp = ((spec.get("securityContext") or {}).get("seccompProfile") or {}).get("type")
    if seccomp:
        lines.append(f"SeccompProfile:\t{text(seccomp)}")
    lines.append(f"IP:\t{status.get('podIP') or ''}")
    ips = [i.get("ip") for i in status.get("podIPs") or [] if isinstance(i, Mapping)]
    lines += ["IPs:", *[f"  IP:\t{ip}" for ip in ips]] if ips else [f"IPs:\t{NONE}"]
    owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
    if owner:
        lines.append(f"Controlled By:\t{owner.get('kind')}/{text(owner.get('name', ''))}")
    init = spec.get("initContainers") or []
    if init:
        lines.append("Init Containers:")
        lines += _containers(init, status.get("initContainerStatuses"), meta)
    lines.append("Containers:")
    lines += _containers(spec.get("containers") or [], status.get("containerStatuses"), meta)
    lines += condition_lines(status.get("conditions"))
    lines += volumes(spec.get("volumes"))
    lines += [
        f"QoS Class:\t{status.get('qosClass') or 'BestEffort'}",
        *mapping_lines("Node-Selectors", spec.get("nodeSelector"), ":"),
        f"Tolerations:\t{tolerations(spec.get('tolerations'))}",
    ]
    return lines


def _node(spec: Obj, status: Obj) -> str:
    node = spec.get("nodeName")
    if not node:
        return NONE
    return f"{node}/{status['hostIP']}" if status.get("hostIP") else str(node)


def _containers(specs: Sequence[Obj], statuses: object, meta: Obj) -> list[str]:
    by_name = (
        {s.get("name"): s for s in statuses or [] if isinstance(s, Mapping)}
        if isinstance(statuses, list)
        else {}
    )
    lines: list[str] = []
    for spec in specs:
        status = by_name.get(spec.get("name")) or {}
        lines.append(f"  {text(spec.get('name', ''))}:")
        if status.get("containerID"):
            lines.append(f"    Container ID:\t{status['containerID']}")
        lines.append(f"    Image:\t{text(spec.get('image', ''))}")
        if status:
            lines.append(f"    Image ID:\t{text(status.get('imageID') or '')}")
        lines += container_spec(spec, meta, indent=4, with_status=status)
    return lines


def container_spec(spec: Obj, meta: Obj, indent: int, with_status: Obj | None = None) -> list[str]:
    """A container's ports, command, state (with its status), resources, probes, env and mounts."""
    pad = " " * indent
    ports = [p for p in spec.get("ports") or [] if isinstance(p, Mapping)]
    shown = ", ".join(f"{p.get('containerPort')}/{p.get('protocol') or 'TCP'}" for p in ports) or NONE
    host = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol') or 'TCP'}" for p in ports) or NONE
    lines = [f"{pad}Port:\t{shown}", f"{pad}Host Port:\t{host}"]
    if spec.get("command"):
        lines += [f"{pad}Command:"] + [f"{pad}  {text(part)}" for part in spec["command"]]
    if spec.get("args"):
        lines += [f"{pad}Args:"] + [f"{pad}  {text(part)}" for part in spec["args"]]
    if with_status is not None:
        lines += _state(f"{pad}State", with_status.get("state"), pad)
        lines += _state(f"{pad}Last State", with_status.get("lastState"), pad)
        if with_status:
            lines.append(f"{pad}Ready:\t{'True' if with_status.get('ready') else 'False'}")
            lines.append(f"{pad}Restart Count:\t{with_status.get('restartCount', 0)}")
    resources = spec.get("resources") or {}
    lines += quantity_lines("Limits", resources.get("limits"), indent)
    lines += quantity_lines("Requests", resources.get("requests"), indent)
    for kind in ("liveness", "readiness", "startup"):
        probe = spec.get(f"{kind}Probe")
        if isinstance(probe, Mapping):
            lines.append(f"{pad}{kind.capitalize()}:\t{_probe(probe)}")
    sources = [s for s in spec.get("envFrom") or [] if isinstance(s, Mapping)]
    if sources:
        lines.append(f"{pad}Environment Variables from:")
        for source in sources:
            ref_kind = "Secret" if "secretRef" in source else "ConfigMap"
            ref = source.get("secretRef") or source.get("configMapRef") or {}
            optional = "true" if ref.get("optional") else "false"
            lines.append(f"{pad}  {text(ref.get('name', ''))}\t{ref_kind}\tOptional: {optional}")
    lines += _env(spec.get("env"), pad, meta)
    mounts = [m for m in spec.get("volumeMounts") or [] if isinstance(m, Mapping)]
    if mounts:
        lines.append(f"{pad}Mounts:")
        for m in mounts:
            mode = "ro" if m.get("readOnly") else "rw"
            lines.append(f"{pad}  {text(m.get('mountPath', ''))} from {text(m.get('name', ''))} ({mode})")
    else:
        lines.append(f"{pad}Mounts:\t{NONE}")
    return lines


def _state(title: str, state: object, pad: str) -> list[str]:
    if not isinstance(state, Mapping) or not state:
        return []
    kind, detail = next(iter(state.items()))
    detail = detail if isinstance(detail, Mapping) else {}
    lines = [f"{title}:\t{str(kind).capitalize()}"]
    if detail.get("reason"):
        lines.append(f"{pad}  Reason:\t{text(detail['reason'])}")
    if detail.get("message"):
        lines.append(f"{pad}  Message:\t{redact_text(text(detail['message']))}")
    if "exitCode" in detail:
        lines.append(f"{pad}  Exit Code:\t{detail['exitCode']}")
    if detail.get("startedAt"):
        lines.append(f"{pad}  Started:\t{when(detail['startedAt'])}")
    if detail.get("finishedAt"):
        lines.append(f"{pad}  Finished:\t{when(detail['finishedAt'])}")
    return lines


def _probe(probe: Obj) -> str:
    timing = (
        f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
        f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
        f"#failure={probe.get('failureThreshold', 3)}"
    )
    if isinstance(probe.get("httpGet"), Mapping):
        get = probe["httpGet"]
        scheme = str(get.get("scheme") or "HTTP").lower()
        return (
            f"http-get {scheme}://{get.get('host', '')}:{get.get('port', '')}{get.get('path', '/')} {timing}"
        )
    if isinstance(probe.get("tcpSocket"), Mapping):
        return f"tcp-socket :{probe['tcpSocket'].get('port', '')} {timing}"
    if isinstance(probe.get("exec"), Mapping):
        return f"exec {list(probe['exec'].get('command') or [])} {timing}"
    return f"unknown {timing}"


def _env(env: object, pad: str, meta: Obj) -> list[str]:
    entries = [e for e in env if isinstance(e, Mapping)] if isinstance(env, list) else []
    if not entries:
        return [f"{pad}Environment:\t{NONE}"]
    lines = [f"{pad}Environment:"]
    for entry in entries:
        name = str(entry.get("name", ""))
        if "value" in entry:
            value = redact_text(redact_value(name, text(entry.get("value") or "")))
        else:
            value = _env_source(entry.get("valueFrom") or {}, meta)
        lines.append(f"{pad}  {text(name)}:\t{value}")
    return lines


def _env_source(source: Obj, meta: Obj) -> str:
    for field, noun in (("secretKeyRef", "in secret"), ("configMapKeyRef", "of config map")):
        ref = source.get(field)
        if isinstance(ref, Mapping):
            optional = "true" if ref.get("optional") else "false"
            return f"<set to the key '{ref.get('key')}' {noun} '{ref.get('name')}'>\tOptional: {optional}"
    if isinstance(source.get("fieldRef"), Mapping):
        ref = source["fieldRef"]
        path = str(ref.get("fieldPath", ""))
        meta_field = {"metadata.name": "name", "metadata.namespace": "namespace", "metadata.uid": "uid"}.get(
            path
        )
        value = f"{text(meta.get(meta_field, ''))} " if meta_field and meta else ""
        return f"{value}({ref.get('apiVersion') or 'v1'}:{path})"
    if isinstance(source.get("resourceFieldRef"), Mapping):
        return f"{source['resourceFieldRef'].get('resource', '')}"
    return ""


def volumes(volumes: object) -> list[str]:
    """`Volumes:` and each volume's type and source."""
    items = [v for v in volumes if isinstance(v, Mapping)] if isinstance(volumes, list) else []
    if not items:
        return [f"Volumes:\t{NONE}"]
    lines = ["Volumes:"]
    for volume in items:
        lines.append(f"  {text(volume.get('name', ''))}:")
        source: tuple[str, Any] = next(((k, v) for k, v in volume.items() if k != "name"), ("", {}))
        kind, detail = source[0], source[1] if isinstance(source[1], Mapping) else {}
        if kind in _VOLUME_TYPES:
            lines.append(f"    Type:\t{_VOLUME_TYPES[kind]}")
            for field, label in _VOLUME_FIELDS.get(kind, ()):
                lines.append(f"    {label}:\t{text(detail.get(field, ''))}")
            continue
        lines.append(f"    Type:\t{kind[:1].upper() + kind[1:]}")
        if isinstance(source[1], Mapping):
            lines += [
                f"    {k[:1].upper() + k[1:]}:\t{text(v)}"
                for k, v in source[1].items()
                if not isinstance(v, Mapping | list)
            ]
    return lines


_VOLUME_TYPES = {
    "emptyDir": "EmptyDir (a temporary directory that shares a pod's lifetime)",
    "secret": "Secret (a volume populated by a Secret)",
    "configMap": "ConfigMap (a volume populated by a ConfigMap)",
    "persistentVolumeClaim": (
        "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)"
    ),
    "projected": "Projected (a volume that contains injected data from multiple sources)",
    "hostPath": "HostPath (bare host directory volume)",
}
_VOLUME_FIELDS = {
    "emptyDir": (("medium", "Medium"), ("sizeLimit", "SizeLimit")),
    "secret": (("secretName", "SecretName"), ("optional", "Optional")),
    "configMap": (("name", "Name"), ("optional", "Optional")),
    "persistentVolumeClaim": (("claimName", "ClaimName"), ("readOnly", "ReadOnly")),
    "hostPath": (("path", "Path"), ("type", "HostPathType")),
}


def tolerations(tolerations: object) -> str:
    """The tolerations, one per line (`<none>`)."""
    items = [t for t in tolerations if isinstance(t, Mapping)] if isinstance(tolerations, list) else []
    if not items:
        return NONE
    shown = []
    for t in items:
        head = str(t.get("key") or "")
        if t.get("value"):
            head += f"={t['value']}"
        head += f":{t['effect']}" if t.get("effect") else ""
        shown.append(
            f"{head} op={t.get('operator') or 'Equal'}"
            + (f" for {t['tolerationSeconds']}s" if t.get("tolerationSeconds") else "")
        )
    return "\n\t".join(shown)
