"""The tilt stand-in's plain data: what a Tiltfile declares about one resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PortForwardSpec:
    """One `port_forward(local_port, container_port, name, link_path, host)`."""

    local_port: int
    container_port: int
    name: str = ""
    link_path: str = ""
    host: str = ""

    def url(self, default_host: str) -> str:
        """`pkg/model/manifest.go` `PortForwardToLink`: `http://HOST:LOCAL/PATH`."""
        host = self.host or default_host or "localhost"
        return f"http://{host}:{self.local_port}/{self.link_path.lstrip('/')}"


@dataclass(frozen=True)
class Link:
    """One `link(url, name)`."""

    url: str
    name: str = ""


@dataclass
class ResourceOptions:
    """What `k8s_resource(...)` said about one workload."""

    workload: str
    new_name: str = ""
    port_forwards: list[PortForwardSpec] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    resource_deps: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    auto_init: bool = True
    pod_readiness: str = ""


@dataclass
class K8sResource:
    """One Tilt resource of Kubernetes objects (a workload and what belongs to it, or `uncategorized`)."""

    name: str
    objects: list[dict[str, Any]]
    workload: dict[str, Any] | None = None
    images: list[str] = field(default_factory=list)  # docker_build refs its containers use
    port_forwards: list[PortForwardSpec] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    resource_deps: list[str] = field(default_factory=list)
    auto_init: bool = True

    def endpoint_links(self, host: str) -> list[dict[str, str]]:
        """UIResource `endpointLinks`: the port forwards' URLs, then the `links`."""
        found = [{"url": p.url(host), **({"name": p.name} if p.name else {})} for p in self.port_forwards]
        return found + [
            {"url": link.url, **({"name": link.name} if link.name else {})} for link in self.links
        ]

    @property
    def display_names(self) -> list[str]:
        """`name:kind` of each object (UIResourceKubernetes.displayNames)."""
        return [f"{(o.get('metadata') or {}).get('name')}:{str(o.get('kind')).lower()}" for o in self.objects]
