"""Port forwards as the views see them, and how a forward picks its endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.kube import EndpointSliceInfo, ServiceInfo


@dataclass(frozen=True)
class ForwardView:
    """One localhost forward.

    Attributes:
        status: listening (bound, idle), ready (has a ready endpoint), waiting (no ready endpoint:
            new connections wait), error (could not bind, or failing).
        refused: Connections closed at once because `max_connections` were open.
        idle_closed: Tunnels closed after `idle_timeout` without a byte either way.
    """

    name: str
    local_port: int
    service: str
    remote_port: int
    status: str = "listening"
    pod: str = ""
    target_port: int = 0
    active: int = 0
    connections: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    refused: int = 0
    idle_closed: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class Endpoint:
    """Where a new forwarded connection should go."""

    pod: str
    port: int


def service_target_port(
    service: ServiceInfo, slices: list[EndpointSliceInfo], remote_port: int
) -> int | None:
    """The pod port behind `service:remote_port` (named target ports resolved via the slices)."""
    port = next((p for p in service.ports if p.port == remote_port), None)
    if port is None:
        return None
    if port.target_port.isdigit():
        return int(port.target_port)
    for piece in slices:
        for name, number in piece.ports:
            if name == port.name and number:
                return number
    return None


def pick_endpoint(
    slices: list[EndpointSliceInfo], service: ServiceInfo | None, remote_port: int
) -> Endpoint | None:
    """A ready, non-terminating endpoint of the Service (stable choice: first pod by name)."""
    if service is None:
        return None
    mine = [s for s in slices if s.namespace == service.namespace and s.service == service.name]
    target = service_target_port(service, mine, remote_port)
    if target is None:
        return None
    ready = sorted({e.pod for s in mine for e in s.endpoints if e.ready and not e.terminating and e.pod})
    return Endpoint(ready[0], target) if ready else None
