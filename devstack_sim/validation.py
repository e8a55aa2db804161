"""Server-side validation: the 422 `Invalid` rules the simulator enforces and `fieldValidation`.

Enforced (with the real server's field paths and wording): object names (DNS-1123 subdomain;
DNS-1123 label for namespaces; DNS-1035 label for services), label keys/values, containers need a
name and an image, container and service port ranges, Deployment/ReplicaSet `spec.selector`
present and matching the template labels, Service ports required unless headless/ExternalName.
Everything else a real server checks is accepted.

Unknown fields (`fieldValidation=Strict|Warn|Ignore`) are found by walking the object against the
Kubernetes 1.33 schemas; Strict answers the real 400 `strict decoding error: unknown field "..."`,
Warn (the server default) returns the same text as `Warning` headers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from devstack_sim import errors, schemas
from devstack_sim.resources import ResourceType
from devstack_sim.schemas import Schema

Obj = dict[str, Any]
Cause = dict[str, str]

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
_DNS1123_LABEL_RE = re.compile(rf"^{_DNS1123_LABEL}$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")

_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    r"validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
_DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _go_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in value.items())
        return f"map[string]string{{{inner}}}"
    return json.dumps(value)


def _required(path: str) -> Cause:
    return {"reason": "FieldValueRequired", "message": "Required value", "field": path}


def _bad(path: str, value: Any, detail: str) -> Cause:
    return {
        "reason": "FieldValueInvalid",
        "message": f"Invalid value: {_go_value(value)}: {detail}",
        "field": path,
    }


def _check_name(rtype: ResourceType, name: str, causes: list[Cause]) -> None:
    if rtype.kind == "Namespace":
        pattern, msg, limit = _DNS1123_LABEL_RE, _LABEL_MSG, 63
    elif rtype.kind == "Service":
        pattern, msg, limit = _DNS1035_LABEL, _DNS1035_MSG, 63
    else:
        pattern, msg, limit = _DNS1123_SUBDOMAIN, _SUBDOMAIN_MSG, 253
    if not pattern.match(name):
        causes.append(_bad("metadata.name", name, msg))
    elif len(name) > limit:
        causes.append(_bad("metadata.name", name, f"must be no more than {limit} characters"))


def _check_labels(labels: Any, path: str, causes: list[Cause]) -> None:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        prefix, _, name = str(key).rpartition("/")
        if (
            not _QUALIFIED_NAME.match(name)
            or len(name) > 63
            or (prefix and not _DNS1123_SUBDOMAIN.match(prefix))
        ):
            causes.append(
                _bad(path, key, "name part must consist of alphanumeric characters, '-', '_' or '.'")
            )
        if not isinstance(value, str) or not _LABEL_VALUE.match(value) or len(value) > 63:
            causes.append(
                _bad(
                    f"{path}",
                    value,
                    "a valid label must be an empty string or consist of "
                    "alphanumeric characters, '-', '_' or '.'",
                )
            )


def _check_pod_spec(spec: Any, path: str, causes: list[Cause]) -> None:
    spec = _dict(spec)
    containers = spec.get("containers")
    if not containers:
        causes.append(_required(f"{path}.containers"))
    for field in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(field) or []):
            where = f"{path}.{field}[{i}]"
            if not isinstance(container, dict):
                causes.append(_required(where))
                continue
            name = container.get("name")
            if not name:
                causes.append(_required(f"{where}.name"))
            elif not _DNS1123_LABEL_RE.match(str(name)):
                causes.append(_bad(f"{where}.name", name, _LABEL_MSG))
            if not container.get("image"):
                causes.append(_required(f"{where}.image"))
            for j, port in enumerate(container.get("ports") or []):
                number = port.get("containerPort") if isinstance(port, dict) else None
                if not isinstance(number, int) or not 0 < number < 65536:
                    causes.append(
                        _bad(
                            f"{where}.ports[{j}].containerPort",
                            number,
                            "must be between 1 and 65535, inclusive",
                        )
                    )


def _check_workload(obj: Obj, causes: list[Cause]) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        causes.append(_required("spec"))
        return
    selector = spec.get("selector")
    template = _dict(spec.get("template"))
    labels = _dict(_dict(template.get("metadata")).get("labels"))
    selector = _dict(selector)
    if not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(_required("spec.selector"))
    elif any(labels.get(k) != v for k, v in _dict(selector.get("matchLabels")).items()):
        causes.append(
            _bad("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")
        )
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        causes.append(_bad("spec.replicas", replicas, "must be greater than or equal to 0"))
    _check_pod_spec(template.get("spec"), "spec.template.spec", causes)


def _check_service(obj: Obj, causes: list[Cause]) -> None:
    spec = _dict(obj.get("spec"))
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and spec.get("type", "ClusterIP") != "ExternalName" and not headless:
        causes.append(_required("spec.ports"))
    for i, port in enumerate(ports):
        number = port.get("port") if isinstance(port, dict) else None
        if not isinstance(number, int) or not 0 < number < 65536:
            causes.append(_bad(f"spec.ports[{i}].port", number, "must be between 1 and 65535, inclusive"))
        if len(ports) > 1 and isinstance(port, dict) and not port.get("name"):
            causes.append(_required(f"spec.ports[{i}].name"))


def validate(rtype: ResourceType, obj: Obj) -> None:
    """Raise the real 422 `Invalid` error for the rules this simulator enforces.

    Raises:
        ApiError: 422 with one cause per failed rule.
    """
    meta = _dict(obj.get("metadata"))
    name = str(meta.get("name") or "")
    causes: list[Cause] = []
    if name:
        _check_name(rtype, name, causes)
    _check_labels(meta.get("labels"), "metadata.labels", causes)
    if rtype.kind in ("Deployment", "ReplicaSet"):
        _check_workload(obj, causes)
    elif rtype.kind == "Pod":
        _check_pod_spec(obj.get("spec"), "spec", causes)
    elif rtype.kind == "Service":
        _check_service(obj, causes)
    if causes:
        raise invalid(rtype, name, causes)


def invalid(rtype: ResourceType, name: str, causes: list[Cause]) -> errors.ApiError:
    """The real server's 422 for a list of causes (`Kind.group "name" is invalid: ...`)."""
    texts = [f"{c['field']}: {c['message']}" for c in causes]
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    qualified = f"{rtype.kind}.{rtype.group}" if rtype.group else rtype.kind
    return errors.ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: {joined}',
        {"name": name, "group": rtype.group, "kind": rtype.kind, "causes": causes},
    )


# ----------------------------------------------------------------------------- unknown fields
def unknown_fields(rtype: ResourceType, obj: Obj) -> list[str]:
    """Paths (`spec.foo`, `spec.containers[0].imagee`) of fields the schema does not declare."""
    schema = schemas.for_kind(rtype.group, rtype.version, rtype.kind)
    found: list[str] = []
    if schema is not None:
        _walk(obj, schema, "", found)
    return found


def _walk(value: Any, schema: Schema | None, path: str, found: list[str]) -> None:
    node = schemas.resolve(schema)
    if node is None:
        return
    if isinstance(value, list):
        element = schemas.items(node)
        for i, item in enumerate(value):
            _walk(item, element, f"{path}[{i}]", found)
        return
    if not isinstance(value, dict) or schemas.is_free_form(node):
        extra = node.get("additionalProperties") if isinstance(node, dict) else None
        if isinstance(value, dict) and isinstance(extra, dict):
            for key, item in value.items():
                _walk(item, extra, f"{path}.{key}" if path else key, found)
        return
    props = node.get("properties") or {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in props:
            found.append(where)
        else:
            _walk(item, props[key], where, found)


def check_fields(rtype: ResourceType, obj: Obj, mode: str | None) -> list[str]:
    """Apply `fieldValidation`; returns warnings (Warn mode) to send as `Warning` headers.

    Raises:
        ApiError: 400 in Strict mode when the object has unknown fields, or for a bad mode.
    """
    mode = mode or "Warn"
    if mode not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{mode}": supported values: "Ignore", "Strict", "Warn"'
        )
    if mode == "Ignore":
        return []
    unknown = unknown_fields(rtype, obj)
    if not unknown:
        return []
    texts = [f'unknown field "{path}"' for path in unknown]
    if mode == "Strict":
        raise errors.bad_request(
            f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: '
            f"strict decoding error: {', '.join(texts)}"
        )
    return texts
