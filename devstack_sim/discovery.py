"""Version and discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/G/V`.

Aggregated discovery (`Accept: ...;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`) is answered
with the plain `APIVersions`/`APIGroupList` forms, which kubectl and client-go accept (they fall
back to per-group-version `APIResourceList` requests).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from devstack_sim.resources import ALL, VERBS, ResourceType

Doc = dict[str, Any]

GIT_VERSION = "v1.33.1"

_CATEGORIES = {"pods": ["all"], "services": ["all"], "deployments": ["all"], "replicasets": ["all"]}
_NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
_SUBRESOURCES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    # name: (kind, verbs, group, version) — group/version empty means the parent's
    "status": ("", ("get", "patch", "update"), "", ""),
    "log": ("Pod", ("get",), "", ""),
    "portforward": ("PodPortForwardOptions", ("create", "get"), "", ""),
    "exec": ("PodExecOptions", ("create", "get"), "", ""),
    "scale": ("Scale", ("get", "patch", "update"), "autoscaling", "v1"),
}


def version() -> Doc:
    """The `/version` document of a Kubernetes 1.33 server."""
    return {
        "major": "1",
        "minor": "33",
        "emulationMajor": "1",
        "emulationMinor": "33",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
        "gitTreeState": "clean",
        "buildDate": "2025-05-15T08:19:08Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions() -> Doc:
    """`/api`: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}],
    }


def group_versions() -> dict[str, list[str]]:
    """Served named groups and their versions, in discovery order."""
    groups: dict[str, list[str]] = {}
    for rtype in ALL:
        if rtype.group and rtype.version not in groups.setdefault(rtype.group, []):
            groups[rtype.group].append(rtype.version)
    return groups


def api_group_list() -> Doc:
    """`/apis`: every served named group."""
    groups = []
    for group, versions in group_versions().items():
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": entries, "preferredVersion": entries[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str) -> Doc | None:
    """`/apis/G`: one group, or None when not served."""
    versions = group_versions().get(group)
    if not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": entries[0],
    }


def _storage_hash(rtype: ResourceType) -> str:
    digest = hashlib.sha256(f"{rtype.group_version}/{rtype.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _entry(rtype: ResourceType) -> Doc:
    verbs = _NAMESPACE_VERBS if rtype.kind == "Namespace" else VERBS
    entry: Doc = {
        "name": rtype.plural,
        "singularName": rtype.singular or rtype.kind.lower(),
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(verbs),
        "storageVersionHash": _storage_hash(rtype),
    }
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.plural in _CATEGORIES:
        entry["categories"] = _CATEGORIES[rtype.plural]
    return entry


def resource_list(group: str, version: str) -> Doc | None:
    """`/api/v1` or `/apis/G/V`: the APIResourceList with subresources, or None when not served."""
    served = [r for r in ALL if r.group == group and r.version == version]
    if not served:
        return None
    resources: list[Doc] = []
    for rtype in served:
        resources.append(_entry(rtype))
        for sub in rtype.subresources:
            kind, verbs, sub_group, sub_version = _SUBRESOURCES[sub]
            item: Doc = {
                "name": f"{rtype.plural}/{sub}",
                "singularName": "",
                "namespaced": rtype.namespaced,
                "kind": kind or rtype.kind,
                "verbs": list(verbs),
            }
            if sub_group:
                item["group"], item["version"] = sub_group, sub_version
            resources.append(item)
    group_version = f"{group}/{version}" if group else version
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
