"""What every request handler of the simulated API server shares, and how URLs map to resources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from devstack_sim import errors, resources
from devstack_sim.resources import ResourceType
from devstack_sim.runtime import PodRuntime
from devstack_sim.store import Store
from devstack_sim.wire import LIST_STRIP, EncodeCache, not_found_path


@dataclass
class ServerContext:
    """Shared state of one API server.

    Attributes:
        store: The object store.
        runtime: The node side (logs, port-forward), or None when no cluster is attached.
        cache: Encodings of stored objects for watch streams.
        list_cache: Encodings of stored objects as list items (no `kind`, `apiVersion`).
        bookmark_interval: Seconds between watch BOOKMARK events.
        streams: Open long-running responses (watches, logs, port-forwards), for counting.
        streaming_idle_timeout: Seconds a port-forward may move no byte before the node drops it
            (the kubelet's `--streaming-connection-idle-timeout`, 4 h by default).
    """

    store: Store
    runtime: PodRuntime | None = None
    cache: EncodeCache = field(default_factory=EncodeCache)
    list_cache: EncodeCache = field(default_factory=lambda: EncodeCache(strip=LIST_STRIP))
    bookmark_interval: float = 5.0
    streams: set[Any] = field(default_factory=set)
    streaming_idle_timeout: float = 4 * 3600.0


CONTEXT = web.AppKey("devstack_sim_context", ServerContext)


@dataclass(frozen=True)
class Target:
    """A resource URL taken apart.

    `namespace` is None for cluster-scoped types and for lists across all namespaces; `name` is
    None for collections.
    """

    rtype: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_path(path: str) -> Target:
    """Map `/api/v1/...` or `/apis/G/V/...` to a Target.

    Raises:
        ApiError: 404 for anything that is not a served resource path.
    """
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api" and parts[1] == "v1":
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found_path()
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise not_found_path()
    rtype = resources.find(group, version, rest[0])
    if rtype is None or (namespace is not None and not rtype.namespaced):
        raise not_found_path()
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if name is not None and rtype.namespaced and namespace is None:
        raise not_found_path()
    if sub is not None and sub not in rtype.subresources:
        raise not_found_path()
    return Target(rtype, namespace, name, sub)


def flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter (`true`/`1`)."""
    return request.query.get(name, "").lower() in ("true", "1")


def dry_run(request: web.Request) -> bool:
    """Whether `dryRun=All` was asked for.

    Raises:
        ApiError: 400 for any other dryRun value.
    """
    values = request.query.getall("dryRun", [])
    if not values:
        return False
    if all(v == "All" for v in values):
        return True
    raise errors.bad_request(f'dryRun: Unsupported value: "{values[0]}": supported values: "All"')
