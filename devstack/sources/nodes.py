"""kind's node containers in Docker: find them by kind's labels, start stopped ones, read drift,
and the address each publishes for the API server.

Docker is reached where the `docker` CLI (and so kind) reaches it: `sources/docker_endpoint.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE
from devstack.settings import Settings
from devstack.sources.docker_endpoint import DockerContextError, docker_client, resolve_endpoint

CLUSTER_LABEL = "io.x-k8s.kind.cluster"
ROLE_LABEL = "io.x-k8s.kind.role"
API_SERVER_PORT = "6443/tcp"


@dataclass(frozen=True)
class Node:
    """One kind node container."""

    name: str
    role: str
    status: str
    port_mappings: tuple[tuple[int, int, str], ...]  # (containerPort, hostPort, listenAddress)

    @property
    def running(self) -> bool:
        """The container is running."""
        return self.status == "running"


def _client(settings: Settings) -> Any:
    from docker.errors import DockerException

    try:
        endpoint = resolve_endpoint(settings)
    except DockerContextError as err:
        raise DevstackError(
            str(err),
            fix="`docker context ls` shows the contexts; `docker context use NAME` picks one",
            exit_code=MISSING_PREREQUISITE,
        ) from None
    try:
        client = docker_client(endpoint)
        client.ping()
    except DockerException as err:
        raise DevstackError(
            f"Docker daemon not reachable at {endpoint.host} ({endpoint.source}): {str(err).splitlines()[0]}",
            fix="start Docker (`sudo systemctl start docker`, or open Docker Desktop)",
            exit_code=MISSING_PREREQUISITE,
        ) from None
    return client


def _mappings(container: Any) -> tuple[tuple[int, int, str], ...]:
    bindings = (container.attrs.get("HostConfig") or {}).get("PortBindings") or {}
    found = []
    for spec, hosts in bindings.items():
        if spec == API_SERVER_PORT:
            continue
        for host in hosts or []:
            port = int(spec.split("/")[0])
            found.append((port, int(host.get("HostPort") or 0), str(host.get("HostIp") or "0.0.0.0")))
    return tuple(sorted(found))


def list_nodes(cluster: str, settings: Settings) -> list[Node]:
    """The cluster's node containers (running or not), by kind's labels."""
    client = _client(settings)
    try:
        containers = client.containers.list(all=True, filters={"label": f"{CLUSTER_LABEL}={cluster}"})
        return sorted(
            (Node(c.name, c.labels.get(ROLE_LABEL, ""), c.status, _mappings(c)) for c in containers),
            key=lambda n: n.name,
        )
    finally:
        client.close()


@dataclass(frozen=True)
class ApiBinding:
    """Where a node container publishes the API server port (6443/tcp) on the host."""

    container: str
    host_ip: str
    host_port: int


def _api_bindings(container: Any) -> list[ApiBinding]:
    configured = ((container.attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(API_SERVER_PORT)
    actual = (((container.attrs.get("NetworkSettings") or {}).get("Ports")) or {}).get(API_SERVER_PORT)
    found = []
    for index, host in enumerate(configured or []):
        port = str(host.get("HostPort") or "")
        if not port.isdigit() or int(port) == 0:  # chosen by Docker at start: read the live binding
            live = (actual or [])[index] if index < len(actual or []) else {}
            port = str(live.get("HostPort") or "")
        if port.isdigit() and int(port):
            found.append(ApiBinding(container.name, str(host.get("HostIp") or ""), int(port)))
    return found


def api_bindings(cluster: str, settings: Settings) -> list[ApiBinding]:
    """Each host address+port at which the cluster's node containers publish the API server
    (the control plane, or the external load balancer of an HA cluster); running or stopped.

    Raises:
        DevstackError: the Docker daemon is not reachable (exit 3).
    """
    client = _client(settings)
    try:
        containers = client.containers.list(all=True, filters={"label": f"{CLUSTER_LABEL}={cluster}"})
        return [binding for c in sorted(containers, key=lambda c: c.name) for binding in _api_bindings(c)]
    finally:
        client.close()


def start_nodes(names: list[str], settings: Settings) -> None:
    """`docker start` the given node containers."""
    client = _client(settings)
    try:
        for name in names:
            client.containers.get(name).start()
    finally:
        client.close()
