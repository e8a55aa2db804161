"""One-shot API calls through the official client: version, logs, restart, delete, snapshot lists.

Every call has a connect/read timeout (`CALL_TIMEOUT` unless said otherwise), so a hung API server
(one that accepts connections and never answers) makes it fail in bounded time instead of hanging.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from devstack.core.kube import WATCHED_KINDS, KubeInfo
from devstack.core.kubedecode import codec, server_version
from devstack.sources.kube import CALL_TIMEOUT, KubeTarget, new_api_client
from devstack.sources.kubeget import collection_path, read


class KubeApi:
    """A client bound to one explicit context and namespace (built lazily)."""

    def __init__(self, target: KubeTarget, api_client: Any | None = None):
        self.target = target
        self._client = api_client

    @property
    def client(self) -> Any:
        """The kubernetes ApiClient for the target context."""
        if self._client is None:
            self._client = new_api_client(self.target)
        return self._client

    def close(self) -> None:
        """Release connections."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def server_version(self, timeout: float = 5) -> str:
        """`gitVersion` of the API server (raises when unreachable)."""
        return server_version(read(self.client, "/version/", timeout=timeout))

    def wait_reachable(self, timeout: float, interval: float = 0.5) -> str:
        """Poll until the API answers; returns its version (re-raises the last error on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.server_version(timeout=min(5.0, max(1.0, deadline - time.monotonic())))
            except Exception:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(interval)

    def _list_body(self, kind: str) -> bytes:
        return read(self.client, collection_path(kind, self.target.namespace), timeout=CALL_TIMEOUT)

    def list_raw(self, kind: str, namespace: str | None = None, **query: Any) -> list[dict[str, Any]]:
        """A one-shot list of a kind in the target namespace (or `namespace`), as plain dicts.

        `query` takes the client's list arguments (`label_selector`, `field_selector`, ...).
        """
        from devstack.sources.kube import list_call

        call = list_call(self.client, kind, namespace or self.target.namespace)
        response = call(_request_timeout=CALL_TIMEOUT, **query)
        try:
            body = msgspec.json.decode(response.data)
        finally:
            response.release_conn()
        items = body.get("items") if isinstance(body, dict) else None
        return list(items or [])

    def read_raw(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """One object as a plain dict; None when the server says 404."""
        from devstack.sources.kube import read_call

        try:
            response = read_call(self.client, kind, namespace or self.target.namespace, name)
        except Exception as err:
            if getattr(err, "status", None) == 404:
                return None
            raise
        try:
            body: dict[str, Any] = json.loads(response.data)
        finally:
            response.release_conn()
        return body

    def events_of(self, kind: str, name: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """The Events about one object (`involvedObject` kind and name), as plain dicts."""
        selector = f"involvedObject.kind={kind},involvedObject.name={name}"
        return self.list_raw("events", namespace, field_selector=selector)

    def list_summaries(self, kind: str) -> tuple[KubeInfo, ...]:
        """A one-shot list of a kind in the target namespace, decoded straight into summaries."""
        items, _ = codec(kind).decode_list(self._list_body(kind))
        return items

    def snapshot(self) -> dict[str, tuple[KubeInfo, ...]]:
        """Every kind devstack shows, listed once."""
        return {kind: self.list_summaries(kind) for kind in WATCHED_KINDS}

    def logs(self, pod: str, container: str, previous: bool = False, tail: int = 50) -> list[str]:
        """The last lines of a container's log (previous instance when asked)."""
        from kubernetes import client

        text = client.CoreV1Api(self.client).read_namespaced_pod_log(
            pod,
            self.target.namespace,
            container=container,
            previous=previous,
            tail_lines=tail,
            _request_timeout=(5, 15),
        )
        return str(text).splitlines()

    def rollout_restart(self, deployment: str) -> None:
        """What `kubectl rollout restart` does: stamp the pod template with restartedAt."""
        from kubernetes import client

        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}}
        }
        client.AppsV1Api(self.client).patch_namespaced_deployment(
            deployment, self.target.namespace, body, _request_timeout=CALL_TIMEOUT
        )

    def delete_pod(self, pod: str) -> None:
        """Delete one pod (its ReplicaSet replaces it)."""
        from kubernetes import client

        client.CoreV1Api(self.client).delete_namespaced_pod(
            pod, self.target.namespace, _request_timeout=CALL_TIMEOUT
        )

    def deployment_env(self, deployment: str, name: str) -> str | None:
        """A literal env value from a Deployment's containers (None when absent or not literal)."""
        from kubernetes import client

        response: Any = client.AppsV1Api(self.client).read_namespaced_deployment(
            deployment, self.target.namespace, _preload_content=False, _request_timeout=CALL_TIMEOUT
        )
        body = json.loads(response.data)
        for container in body.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
            for entry in container.get("env") or []:
                if entry.get("name") == name and "value" in entry:
                    return str(entry["value"])
        return None
