"""GETs of the API's collections (lists and watches) as bytes, through the shared credentials.

The generated API classes (`CoreV1Api`, `AppsV1Api`, ...) cost seconds to import and build a model
for every object; devstack only needs the bytes, which `core/kubedecode.py` decodes straight into
summaries. The request itself still goes through the `ApiClient` of `sources/credentials.py`:
the same URL, authentication (renewed exec credentials, one retry after a 401), TLS, proxy and
timeouts as the generated calls, and an `ApiException` (with `.status` and `.body`) for any
answer that is not 2xx, as the generated calls raise it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# (API prefix, plural) of each kind devstack lists: core kinds under /api/v1, the others under their group.
COLLECTIONS: dict[str, tuple[str, str]] = {
    "pods": ("/api/v1", "pods"),
    "services": ("/api/v1", "services"),
    "events": ("/api/v1", "events"),
    "secrets": ("/api/v1", "secrets"),
    "configmaps": ("/api/v1", "configmaps"),
    "persistentvolumeclaims": ("/api/v1", "persistentvolumeclaims"),
    "endpoints": ("/api/v1", "endpoints"),
    "namespaces": ("/api/v1", "namespaces"),
    "deployments": ("/apis/apps/v1", "deployments"),
    "replicasets": ("/apis/apps/v1", "replicasets"),
    "endpointslices": ("/apis/discovery.k8s.io/v1", "endpointslices"),
    "ingresses": ("/apis/networking.k8s.io/v1", "ingresses"),
    "jobs": ("/apis/batch/v1", "jobs"),
    "cronjobs": ("/apis/batch/v1", "cronjobs"),
}
CLUSTER_SCOPED = frozenset({"namespaces"})


def collection_path(kind: str, namespace: str) -> str:
    """`/api/v1/namespaces/NS/pods` and the like (`/api/v1/namespaces` for a cluster-scoped kind).

    Raises:
        ValueError: devstack does not list this kind.
    """
    if kind not in COLLECTIONS:
        raise ValueError(f"devstack does not list {kind!r}")
    prefix, plural = COLLECTIONS[kind]
    if kind in CLUSTER_SCOPED:
        return f"{prefix}/{plural}"
    return f"{prefix}/namespaces/{quote(namespace, safe='')}/{plural}"


def object_path(kind: str, namespace: str, name: str) -> str:
    """`/api/v1/namespaces/NS/pods/NAME` and the like."""
    return f"{collection_path(kind, namespace)}/{quote(name, safe='')}"


def get(api_client: Any, path: str, query: dict[str, str] | None = None, timeout: Any = None) -> Any:
    """GET `path` on the client's API server; the streaming `urllib3` response of a 2xx answer.

    Args:
        api_client: An `ApiClient` from `Credentials.api_client()`.
        path: The absolute path (`/version`, `collection_path(...)`).
        query: Query parameters.
        timeout: `(connect, read)` seconds, or one total.

    Raises:
        ApiException: the server answered, but not 2xx.
    """
    method, url, headers, body, post_params = api_client.param_serialize(
        "GET",
        path,
        query_params=list((query or {}).items()),
        header_params={"Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    answer = api_client.call_api(method, url, headers, body, post_params, _request_timeout=timeout)
    if not 200 <= answer.status <= 299:
        from kubernetes.client.exceptions import ApiException

        answer.read()
        raise ApiException.from_response(http_resp=answer, body=None, data=None)
    return answer.response


def read(api_client: Any, path: str, query: dict[str, str] | None = None, timeout: Any = None) -> bytes:
    """The whole body of a GET (see `get`)."""
    response = get(api_client, path, query, timeout)
    try:
        data: bytes = response.data
    finally:
        response.release_conn()
    return data
