"""Applying rendered objects to a cluster with the official `kubernetes` client, and the record of
what was applied (so `skaffold delete` and dev's cleanup remove exactly that).

Objects go in helm's install order by server-side apply (`application/apply-patch+yaml`, field
manager `helm`, forced), which creates missing objects and updates existing ones; objects a release
no longer renders are deleted, like `helm upgrade` does. The record is
`deploys/<context>.json` in the cluster folder (`kind-NAME` contexts) or under `$DEVSTACK_SIM_HOME`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack_sim.standins.home import StandinError, cluster_dir, locked, read_json, write_json

# helm's InstallOrder (pkg/release/util/kind_sorter.go), the kinds a chart usually holds.
INSTALL_ORDER = [
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
]


@dataclass(frozen=True)
class ObjectRef:
    """Where an applied object lives."""

    api_version: str
    kind: str
    namespace: str
    name: str

    def as_dict(self) -> dict[str, str]:
        """The reference as recorded."""
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }

    @property
    def shown(self) -> str:
        """`deployment.apps/NAME`, as kubectl and skaffold print objects."""
        group = self.api_version.split("/")[0] if "/" in self.api_version else ""
        return f"{self.kind.lower()}{'.' + group if group else ''}/{self.name}"


def order_key(obj: dict[str, Any]) -> int:
    """Position of an object's kind in helm's install order (unknown kinds last)."""
    kind = str(obj.get("kind"))
    return INSTALL_ORDER.index(kind) if kind in INSTALL_ORDER else len(INSTALL_ORDER)


class Kube:
    """JSON requests to one kube context through the official client (`ApiClient.call_api`)."""

    def __init__(self, kubeconfig: str | None, context: str) -> None:
        from kubernetes import config

        try:
            self.client = config.new_client_from_config(
                config_file=kubeconfig or None, context=context or None
            )
        except (config.ConfigException, OSError, ValueError) as err:
            raise StandinError(f"getting Kubernetes client: {err}") from None
        self._resources: dict[str, dict[str, tuple[str, bool]]] = {}

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        query: list[tuple[str, str]] | None = None,
    ) -> Any:
        """Send a request and return the decoded JSON.

        Raises:
            kubernetes.client.ApiException: the server answered with an error status.
        """
        from kubernetes.client import ApiException

        method, url, headers, payload, _post = self.client.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = self.client.call_api(method, url, header_params=headers, body=payload, _request_timeout=30)
        response.read()
        if not 200 <= response.status < 300:
            raise ApiException(http_resp=response)
        return json.loads(response.data) if response.data else None

    def _resource(self, api_version: str, kind: str) -> tuple[str, str, bool]:
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if api_version not in self._resources:
            listing = self.request("GET", base)
            found = {}
            for item in listing.get("resources") or []:
                if "/" not in str(item.get("name")):
                    found[str(item["kind"])] = (str(item["name"]), bool(item.get("namespaced")))
            self._resources[api_version] = found
        if kind not in self._resources[api_version]:
            raise StandinError(f'no matches for kind "{kind}" in version "{api_version}"')
        plural, namespaced = self._resources[api_version][kind]
        return base, plural, namespaced

    def path(self, ref: ObjectRef) -> str:
        """The object's URL path."""
        base, plural, namespaced = self._resource(ref.api_version, ref.kind)
        if namespaced:
            return f"{base}/namespaces/{ref.namespace}/{plural}/{ref.name}"
        return f"{base}/{plural}/{ref.name}"

    def namespaced(self, api_version: str, kind: str) -> bool:
        """Whether objects of this kind live in a namespace."""
        return self._resource(api_version, kind)[2]

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        from kubernetes.client import ApiException

        try:
            found = self.request("GET", self.path(ref))
        except ApiException as err:
            if err.status == 404:
                return None
            raise
        return found if isinstance(found, dict) else None

    def apply(self, obj: dict[str, Any], ref: ObjectRef) -> bool:
        """Server-side apply one object; True when it was created."""
        existed = self.get(ref) is not None
        self.request(
            "PATCH",
            self.path(ref),
            body=json.dumps(obj),
            content_type="application/apply-patch+yaml",
            query=[("fieldManager", "helm"), ("force", "true")],
        )
        return not existed

    def delete(self, ref: ObjectRef) -> bool:
        """Delete one object (background propagation); False when it was already gone."""
        from kubernetes.client import ApiException

        try:
            self.request("DELETE", self.path(ref), query=[("propagationPolicy", "Background")])
        except ApiException as err:
            if err.status == 404:
                return False
            raise
        return True

    def list(self, path: str, selector: str = "") -> list[dict[str, Any]]:
        """The items of a list path (optionally with a label selector)."""
        query = [("labelSelector", selector)] if selector else []
        found = self.request("GET", path, query=query)
        return list(found.get("items") or []) if isinstance(found, dict) else []


def ref_of(obj: dict[str, Any], default_namespace: str, kube: Kube) -> ObjectRef:
    """The object's reference, giving namespaced objects without one the release namespace."""
    meta = obj.setdefault("metadata", {})
    api_version, kind = str(obj.get("apiVersion") or ""), str(obj.get("kind") or "")
    namespace = ""
    if kube.namespaced(api_version, kind):
        namespace = str(meta.get("namespace") or default_namespace)
        meta["namespace"] = namespace
    return ObjectRef(api_version, kind, namespace, str(meta.get("name")))


def record_path(home: Path, context: str) -> Path:
    """Where the record of a context's deployments lives."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", context)
    if context.startswith("kind-") and cluster_dir(home, context[5:]).is_dir():
        return cluster_dir(home, context[5:]) / "deploys" / f"{safe}.json"
    return home / "deploys" / f"{safe}.json"


def read_record(path: Path) -> dict[str, Any]:
    """Release key (`NAMESPACE/NAME`, `Release.key`) → {namespace, revision, run_id, objects}."""
    data = read_json(path, {})
    return data if isinstance(data, dict) else {}


def save_release(path: Path, release: str, entry: dict[str, Any] | None) -> None:
    """Store (or with None, forget) one release in the record."""
    with locked(path.parent / ".deploys.lock"):
        data = read_record(path)
        if entry is None:
            data.pop(release, None)
        else:
            data[release] = entry
        write_json(path, data)


def refs(entry: dict[str, Any]) -> list[ObjectRef]:
    """The recorded objects of a release."""
    return [
        ObjectRef(str(o["apiVersion"]), str(o["kind"]), str(o.get("namespace") or ""), str(o["name"]))
        for o in entry.get("objects") or []
    ]
