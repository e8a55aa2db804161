"""Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

client-go's typed clients — `kubectl create namespace|configmap|secret|deployment|service...`
and Helm's release storage — send bodies as protobuf: the magic `k8s\\x00`, then a
`runtime.Unknown` holding `typeMeta` and the object's bytes. This module turns those into the
JSON-shaped dicts the rest of the server handles, for the kinds in `KINDS` and `DeleteOptions`.

Field numbers come from the `generated.proto` files of k8s.io/api and k8s.io/apimachinery
(they never change once published). Zero values are dropped as Go's `omitempty` would, except for
pointer fields (`keep`), where an explicit 0/false means something. A non-zero field this table
does not know gets a 415 Status naming it — never a silently incomplete object. Responses are
always JSON (clients accept it). Encoding protobuf is not supported.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from devstack.sim import errors

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

# kinds: S string, I integer, B bool, Y bytes (base64 in JSON), Q quantity, T time, IOS int-or-string,
# MSS/MSY/MSQ map string->string/bytes/quantity, or a message name. Flags: "r" repeated, "k" keep zero,
# "i" inline (the sub-message's fields belong to the parent, like Go's embedded structs).
Field = tuple[str, str, str]
_M = "ObjectMeta"
TABLE: dict[str, dict[int, Field]] = {
    "Unknown": {
        1: ("typeMeta", "TypeMeta", ""),
        2: ("raw", "Y", ""),
        3: ("contentEncoding", "S", ""),
        4: ("contentType", "S", ""),
    },
    "TypeMeta": {1: ("apiVersion", "S", ""), 2: ("kind", "S", "")},
    _M: {
        1: ("name", "S", ""),
        2: ("generateName", "S", ""),
        3: ("namespace", "S", ""),
        4: ("selfLink", "S", ""),
        5: ("uid", "S", ""),
        6: ("resourceVersion", "S", ""),
        7: ("generation", "I", ""),
        8: ("creationTimestamp", "T", ""),
        9: ("deletionTimestamp", "T", ""),
        10: ("deletionGracePeriodSeconds", "I", "k"),
        11: ("labels", "MSS", ""),
        12: ("annotations", "MSS", ""),
        13: ("ownerReferences", "OwnerReference", "r"),
        14: ("finalizers", "S", "r"),
        17: ("managedFields", "ManagedFieldsEntry", "r"),
    },
    "OwnerReference": {
        5: ("apiVersion", "S", ""),
        1: ("kind", "S", ""),
        3: ("name", "S", ""),
        4: ("uid", "S", ""),
        6: ("controller", "B", "k"),
        7: ("blockOwnerDeletion", "B", "k"),
    },
    "ManagedFieldsEntry": {
        1: ("manager", "S", ""),
        2: ("operation", "S", ""),
        3: ("apiVersion", "S", ""),
        4: ("time", "T", ""),
        6: ("fieldsType", "S", ""),
        7: ("fieldsV1", "FieldsV1", ""),
        8: ("subresource", "S", ""),
    },
    "FieldsV1": {1: ("raw", "Y", "")},
    "LabelSelector": {
        1: ("matchLabels", "MSS", ""),
        2: ("matchExpressions", "LabelSelectorRequirement", "r"),
    },
    "LabelSelectorRequirement": {1: ("key", "S", ""), 2: ("operator", "S", ""), 3: ("values", "S", "r")},
    "DeleteOptions": {
        1: ("gracePeriodSeconds", "I", "k"),
        2: ("preconditions", "Preconditions", ""),
        3: ("orphanDependents", "B", "k"),
        4: ("propagationPolicy", "S", ""),
        5: ("dryRun", "S", "r"),
    },
    "Preconditions": {1: ("uid", "S", ""), 2: ("resourceVersion", "S", "")},
    "Namespace": {
        1: ("metadata", _M, ""),
        2: ("spec", "NamespaceSpec", ""),
        3: ("status", "NamespaceStatus", ""),
    },
    "NamespaceSpec": {1: ("finalizers", "S", "r")},
    "NamespaceStatus": {1: ("phase", "S", "")},
    "ConfigMap": {
        1: ("metadata", _M, ""),
        2: ("data", "MSS", ""),
        3: ("binaryData", "MSY", ""),
        4: ("immutable", "B", "k"),
    },
    "Secret": {
        1: ("metadata", _M, ""),
        2: ("data", "MSY", ""),
        3: ("type", "S", ""),
        4: ("stringData", "MSS", ""),
        5: ("immutable", "B", "k"),
    },
    "ServiceAccount": {
        1: ("metadata", _M, ""),
        2: ("secrets", "ObjectReference", "r"),
        3: ("imagePullSecrets", "LocalObjectReference", "r"),
        4: ("automountServiceAccountToken", "B", "k"),
    },
    "ObjectReference": {
        1: ("kind", "S", ""),
        2: ("namespace", "S", ""),
        3: ("name", "S", ""),
        4: ("uid", "S", ""),
        5: ("apiVersion", "S", ""),
        6: ("resourceVersion", "S", ""),
        7: ("fieldPath", "S", ""),
    },
    "LocalObjectReference": {1: ("name", "S", "")},
    "Service": {1: ("metadata", _M, ""), 2: ("spec", "ServiceSpec", ""), 3: ("status", "Empty", "")},
    "ServiceSpec": {
        1: ("ports", "ServicePort", "r"),
        2: ("selector", "MSS", ""),
        3: ("clusterIP", "S", ""),
        4: ("type", "S", ""),
        5: ("externalIPs", "S", "r"),
        7: ("sessionAffinity", "S", ""),
        10: ("externalName", "S", ""),
        11: ("externalTrafficPolicy", "S", ""),
        13: ("publishNotReadyAddresses", "B", ""),
        17: ("ipFamilyPolicy", "S", ""),
        18: ("clusterIPs", "S", "r"),
        19: ("ipFamilies", "S", "r"),
        22: ("internalTrafficPolicy", "S", ""),
    },
    "ServicePort": {
        1: ("name", "S", ""),
        2: ("protocol", "S", ""),
        3: ("port", "I", "k"),
        4: ("targetPort", "IOS", ""),
        5: ("nodePort", "I", ""),
        6: ("appProtocol", "S", ""),
    },
    "Deployment": {1: ("metadata", _M, ""), 2: ("spec", "DeploymentSpec", ""), 3: ("status", "Empty", "")},
    "DeploymentSpec": {
        1: ("replicas", "I", "k"),
        2: ("selector", "LabelSelector", ""),
        3: ("template", "PodTemplateSpec", ""),
        4: ("strategy", "DeploymentStrategy", ""),
        5: ("minReadySeconds", "I", ""),
        6: ("revisionHistoryLimit", "I", "k"),
        7: ("paused", "B", ""),
        9: ("progressDeadlineSeconds", "I", "k"),
    },
    "DeploymentStrategy": {1: ("type", "S", ""), 2: ("rollingUpdate", "RollingUpdateDeployment", "")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IOS", ""), 2: ("maxSurge", "IOS", "")},
    "Pod": {1: ("metadata", _M, ""), 2: ("spec", "PodSpec", ""), 3: ("status", "Empty", "")},
    "PodTemplateSpec": {1: ("metadata", _M, ""), 2: ("spec", "PodSpec", "")},
    "PodSpec": {
        1: ("volumes", "Volume", "r"),
        20: ("initContainers", "Container", "r"),
        2: ("containers", "Container", "r"),
        3: ("restartPolicy", "S", ""),
        4: ("terminationGracePeriodSeconds", "I", "k"),
        5: ("activeDeadlineSeconds", "I", "k"),
        6: ("dnsPolicy", "S", ""),
        7: ("nodeSelector", "MSS", ""),
        8: ("serviceAccountName", "S", ""),
        9: ("serviceAccount", "S", ""),
        21: ("automountServiceAccountToken", "B", "k"),
        10: ("nodeName", "S", ""),
        11: ("hostNetwork", "B", ""),
        15: ("imagePullSecrets", "LocalObjectReference", "r"),
        16: ("hostname", "S", ""),
        17: ("subdomain", "S", ""),
        19: ("schedulerName", "S", ""),
        22: ("tolerations", "Toleration", "r"),
        24: ("priorityClassName", "S", ""),
        25: ("priority", "I", "k"),
        30: ("enableServiceLinks", "B", "k"),
        32: ("preemptionPolicy", "S", ""),
    },
    "Container": {
        1: ("name", "S", ""),
        2: ("image", "S", ""),
        3: ("command", "S", "r"),
        4: ("args", "S", "r"),
        5: ("workingDir", "S", ""),
        6: ("ports", "ContainerPort", "r"),
        19: ("envFrom", "EnvFromSource", "r"),
        7: ("env", "EnvVar", "r"),
        8: ("resources", "ResourceRequirements", ""),
        9: ("volumeMounts", "VolumeMount", "r"),
        10: ("livenessProbe", "Probe", ""),
        11: ("readinessProbe", "Probe", ""),
        22: ("startupProbe", "Probe", ""),
        13: ("terminationMessagePath", "S", ""),
        20: ("terminationMessagePolicy", "S", ""),
        14: ("imagePullPolicy", "S", ""),
        16: ("stdin", "B", ""),
        17: ("stdinOnce", "B", ""),
        18: ("tty", "B", ""),
    },
    "ContainerPort": {
        1: ("name", "S", ""),
        2: ("hostPort", "I", ""),
        3: ("containerPort", "I", "k"),
        4: ("protocol", "S", ""),
        5: ("hostIP", "S", ""),
    },
    "EnvVar": {1: ("name", "S", ""), 2: ("value", "S", ""), 3: ("valueFrom", "EnvVarSource", "")},
    "EnvVarSource": {
        1: ("fieldRef", "ObjectFieldSelector", ""),
        2: ("resourceFieldRef", "ResourceFieldSelector", ""),
        3: ("configMapKeyRef", "KeySelector", ""),
        4: ("secretKeyRef", "KeySelector", ""),
    },
    "ObjectFieldSelector": {1: ("apiVersion", "S", ""), 2: ("fieldPath", "S", "")},
    "ResourceFieldSelector": {
        1: ("containerName", "S", ""),
        2: ("resource", "S", ""),
        3: ("divisor", "Q", ""),
    },
    "KeySelector": {1: ("", "LocalObjectReference", "i"), 2: ("key", "S", ""), 3: ("optional", "B", "k")},
    "EnvFromSource": {
        1: ("prefix", "S", ""),
        2: ("configMapRef", "EnvSource", ""),
        3: ("secretRef", "EnvSource", ""),
    },
    "EnvSource": {1: ("", "LocalObjectReference", "i"), 2: ("optional", "B", "k")},
    "ResourceRequirements": {1: ("limits", "MSQ", ""), 2: ("requests", "MSQ", "")},
    "VolumeMount": {
        1: ("name", "S", ""),
        2: ("readOnly", "B", ""),
        3: ("mountPath", "S", ""),
        4: ("subPath", "S", ""),
        5: ("mountPropagation", "S", ""),
        6: ("subPathExpr", "S", ""),
    },
    "Volume": {1: ("name", "S", ""), 2: ("", "VolumeSource", "i")},
    "VolumeSource": {
        2: ("emptyDir", "EmptyDir", ""),
        6: ("secret", "SecretVolume", ""),
        19: ("configMap", "ConfigMapVolume", ""),
    },
    "EmptyDir": {1: ("medium", "S", ""), 2: ("sizeLimit", "Q", "")},
    "SecretVolume": {
        1: ("secretName", "S", ""),
        2: ("items", "KeyToPath", "r"),
        3: ("defaultMode", "I", "k"),
        4: ("optional", "B", "k"),
    },
    "ConfigMapVolume": {
        1: ("", "LocalObjectReference", "i"),
        2: ("items", "KeyToPath", "r"),
        3: ("defaultMode", "I", "k"),
        4: ("optional", "B", "k"),
    },
    "KeyToPath": {1: ("key", "S", ""), 2: ("path", "S", ""), 3: ("mode", "I", "k")},
    "Probe": {
        1: ("", "ProbeHandler", "i"),
        2: ("initialDelaySeconds", "I", ""),
        3: ("timeoutSeconds", "I", ""),
        4: ("periodSeconds", "I", ""),
        5: ("successThreshold", "I", ""),
        6: ("failureThreshold", "I", ""),
    },
    "ProbeHandler": {
        1: ("exec", "ExecAction", ""),
        2: ("httpGet", "HTTPGetAction", ""),
        3: ("tcpSocket", "TCPSocketAction", ""),
    },
    "ExecAction": {1: ("command", "S", "r")},
    "HTTPGetAction": {
        1: ("path", "S", ""),
        2: ("port", "IOS", ""),
        3: ("host", "S", ""),
        4: ("scheme", "S", ""),
        5: ("httpHeaders", "HTTPHeader", "r"),
    },
    "HTTPHeader": {1: ("name", "S", ""), 2: ("value", "S", "")},
    "TCPSocketAction": {1: ("port", "IOS", ""), 2: ("host", "S", "")},
    "Toleration": {
        1: ("key", "S", ""),
        2: ("operator", "S", ""),
        3: ("value", "S", ""),
        4: ("effect", "S", ""),
        5: ("tolerationSeconds", "I", "k"),
    },
    "Empty": {},  # `status` of created/updated objects: ignored by the server anyway
}
KINDS = (
    "Namespace",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Service",
    "Deployment",
    "Pod",
    "DeleteOptions",
)
_LENGTH_DELIMITED = 2


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _bad("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples of one message."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == _LENGTH_DELIMITED:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise _bad(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _bad(message: str) -> errors.ApiError:
    return errors.ApiError(
        415, "UnsupportedMediaType", f"the simulator cannot decode this protobuf body: {message}"
    )


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind in ("I", "B"):
        if wire != 0:
            raise _bad("expected a varint")
        return bool(value) if kind == "B" else _signed(value)
    if wire != _LENGTH_DELIMITED:
        raise _bad("expected a length-delimited field")
    if kind == "S":
        return value.decode()
    if kind == "Y":
        return base64.b64encode(value).decode()
    if kind == "Q":
        return decode("Quantity", value).get("string", "")
    if kind == "T":
        fields = {n: v for n, _, v in _fields(value)}
        if not fields.get(1) and not fields.get(2):
            return None
        moment = datetime.datetime.fromtimestamp(_signed(fields.get(1, 0)), datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "IOS":
        fields = {n: v for n, _, v in _fields(value)}
        return fields.get(3, b"").decode() if fields.get(1) == 1 else _signed(fields.get(2, 0))
    raise _bad(f"unknown field kind {kind}")


def _map_entry(kind: str, value: bytes) -> tuple[str, Any]:
    fields = {n: (w, v) for n, w, v in _fields(value)}
    key = fields.get(1, (2, b""))[1].decode()
    wire, raw = fields.get(2, (2, b""))
    return key, _scalar({"MSS": "S", "MSY": "Y", "MSQ": "Q"}[kind], wire, raw)


def _is_zero(wire: int, value: Any) -> bool:
    return value == 0 if wire == 0 else not value


def decode(message: str, data: bytes) -> dict[str, Any]:
    """Decode one message of `TABLE` into a JSON-shaped dict.

    Raises:
        ApiError: 415 for fields this table does not know (unless they hold zero values).
    """
    if message == "Quantity":
        return {"string": next((v.decode() for n, _, v in _fields(data) if n == 1), "")}
    table = TABLE[message]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data):
        spec = table.get(number)
        if spec is None:
            if _is_zero(wire, value):
                continue
            raise _bad(f"field {number} of {message} is not supported; send JSON instead")
        name, kind, flags = spec
        if kind == "Empty":
            continue
        if kind in TABLE:
            if wire != _LENGTH_DELIMITED:
                raise _bad(f"field {name} of {message} should be a message")
            item: Any = decode(kind, value)
            if "i" in flags:
                out.update(item)
                continue
        elif kind.startswith("MS"):
            key, entry = _map_entry(kind, value)
            out.setdefault(name, {})[key] = entry
            continue
        else:
            item = _scalar(kind, wire, value)
            if item is None or (
                not item and item is not True and "k" not in flags and not isinstance(item, dict)
            ):
                continue
        if "r" in flags:
            out.setdefault(name, []).append(item)
        else:
            out[name] = item
    return out


def decode_object(body: bytes) -> dict[str, Any]:
    """Decode a `k8s\\x00`-prefixed protobuf body into an object with apiVersion and kind.

    Raises:
        ApiError: 415 for anything that is not a supported kind.
    """
    if not body.startswith(MAGIC):
        raise _bad("missing the k8s protobuf magic prefix")
    envelope = decode("Unknown", body[len(MAGIC) :])
    type_meta = envelope.get("typeMeta", {})
    kind = type_meta.get("kind", "")
    if kind not in KINDS:
        raise _bad(f"kind {kind or '(none)'} is not supported as protobuf (supported: {', '.join(KINDS)})")
    if envelope.get("contentEncoding"):
        raise _bad(f"content encoding {envelope['contentEncoding']} is not supported")
    raw = base64.b64decode(envelope.get("raw", ""))
    obj = decode(kind, raw)
    if kind != "DeleteOptions":
        obj = {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}
    return obj
