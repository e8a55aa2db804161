"""A container's environment, resolved the way the kubelet does it (with its error messages)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from typing import Any

from devstack_sim.resources import CONFIGMAPS, SECRETS
from devstack_sim.store import Obj, Store

from .meta import parse_quantity

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


class ConfigError(Exception):
    """The container cannot be configured yet (CreateContainerConfigError); the message is the kubelet's."""


def expand(value: str, env: dict[str, str]) -> str:
    """Expand `$(VAR)` references from `env`; `$$` escapes; unknown references stay as written."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _REFERENCE.sub(replace, value)


def _secret_data(secret: Obj) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            data[key] = base64.b64decode(str(value), validate=False).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            data[key] = ""
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = str(value)
    return data


def _configmap_data(configmap: Obj) -> dict[str, str]:
    data = {k: str(v) for k, v in (configmap.get("data") or {}).items()}
    for key, value in (configmap.get("binaryData") or {}).items():
        data.setdefault(key, base64.b64decode(str(value)).decode("utf-8", "replace"))
    return data


class EnvResolver:
    """Reads Secrets and ConfigMaps from the store for one pod."""

    def __init__(self, store: Store, pod: Obj, pod_ip: str, host_ip: str):
        self._store = store
        self._pod = pod
        self._namespace = pod["metadata"]["namespace"]
        self._pod_ip = pod_ip
        self._host_ip = host_ip

    def resolve(self, container: dict[str, Any]) -> dict[str, str]:
        """`envFrom` first, then `env` in order (later entries may use `$(EARLIER)`).

        Raises:
            ConfigError: a referenced Secret/ConfigMap or key is missing and not optional.
        """
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            prefix = str(source.get("prefix") or "")
            if "secretRef" in source:
                data = self._source(SECRETS, "secret", source["secretRef"])
            elif "configMapRef" in source:
                data = self._source(CONFIGMAPS, "configmap", source["configMapRef"])
            else:
                continue
            for key, value in data.items():
                env[prefix + key] = value
        for var in container.get("env") or []:
            name = str(var.get("name", ""))
            if "value" in var:
                raw = var["value"]
                env[name] = expand("" if raw is None else str(raw), env)
                continue
            value_from = var.get("valueFrom")
            if not value_from:
                env[name] = ""
                continue
            resolved = self._value_from(value_from, container)
            if resolved is not None:
                env[name] = resolved
        return env

    def _source(self, rtype: Any, kind: str, ref: dict[str, Any]) -> dict[str, str]:
        obj = self._store.get(rtype, self._namespace, str(ref.get("name", "")))
        if obj is None:
            if ref.get("optional"):
                return {}
            raise ConfigError(f'{kind} "{ref.get("name", "")}" not found')
        return _secret_data(obj) if kind == "secret" else _configmap_data(obj)

    def _key(self, rtype: Any, kind: str, ref: dict[str, Any]) -> str | None:
        name = str(ref.get("name", ""))
        obj = self._store.get(rtype, self._namespace, name)
        if obj is None:
            if ref.get("optional"):
                return None
            raise ConfigError(f'{kind.lower()} "{name}" not found')
        data = _secret_data(obj) if kind == "Secret" else _configmap_data(obj)
        key = str(ref.get("key", ""))
        if key not in data:
            if ref.get("optional"):
                return None
            raise ConfigError(f"couldn't find key {key} in {kind} {self._namespace}/{name}")
        return data[key]

    def _value_from(self, value_from: dict[str, Any], container: dict[str, Any]) -> str | None:
        if "secretKeyRef" in value_from:
            return self._key(SECRETS, "Secret", value_from["secretKeyRef"])
        if "configMapKeyRef" in value_from:
            return self._key(CONFIGMAPS, "ConfigMap", value_from["configMapKeyRef"])
        if "fieldRef" in value_from:
            return self._field(str(value_from["fieldRef"].get("fieldPath", "")))
        if "resourceFieldRef" in value_from:
            return _resource_field(value_from["resourceFieldRef"], container)
        return None

    def _field(self, path: str) -> str:
        meta = self._pod["metadata"]
        spec = self._pod.get("spec", {})
        simple = {
            "metadata.name": meta.get("name", ""),
            "metadata.namespace": meta.get("namespace", ""),
            "metadata.uid": meta.get("uid", ""),
            "spec.nodeName": spec.get("nodeName", ""),
            "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
            "status.podIP": self._pod_ip,
            "status.podIPs": self._pod_ip,
            "status.hostIP": self._host_ip,
            "status.hostIPs": self._host_ip,
        }
        if path in simple:
            return str(simple[path])
        match = _FIELD.match(path)
        if match:
            return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
        raise ConfigError(f"unsupported fieldPath: {path}")


def _resource_field(ref: dict[str, Any], container: dict[str, Any]) -> str:
    resource = str(ref.get("resource", ""))
    kind, _, name = resource.partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(name)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(name)
    if value is None:
        value = {"cpu": "8", "memory": "16Gi", "ephemeral-storage": "100Gi"}.get(name, "0")
    divisor = parse_quantity(ref.get("divisor") or "1")
    return str(math.ceil(parse_quantity(value) / divisor))
