"""kind contexts are verified, not trusted by their name.

A context `kind-<cluster>` is used only when its server is the address the cluster's node container
publishes for the API server: kind runs the control plane (or, for an HA cluster, the external load
balancer) with `--publish 127.0.0.1:<port>:6443`, and writes `https://127.0.0.1:<port>` into the
kubeconfig. So the server must be `https`, its host a loopback IP literal equal to the published
host IP (any loopback IP when Docker published on all addresses), and its port the published port.
Anything else — a remote name, another loopback address, another port, or no node container at
all — is refused before any call (exit 2), naming both addresses.

Only with the simulator's stand-ins allowed (`ToolEnv.allow_sim`: the demo and the tests) may a kind
cluster have no node container (the simulator without Docker). Then the rule is kind's default
`apiServerAddress`: the server must be `https://127.0.0.1:<port>` (the simulator serves only there);
the port cannot be checked. `existing` clusters are not kind clusters: the allowlist alone decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.settings import Settings
from devstack.sources import nodes
from devstack.sources.kubeconfig import ContextEntries

UNSPECIFIED = ("", "0.0.0.0", "::")


def _loopback_ip(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return None
    return address if address.is_loopback else None


def _address(server: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(server)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme, parts.hostname, port


def matches(server: str, binding: nodes.ApiBinding) -> bool:
    """The kubeconfig server is the loopback address+port the node publishes for the API."""
    scheme, host, port = _address(server)
    address = _loopback_ip(host)
    if scheme != "https" or address is None or port != binding.host_port:
        return False
    if binding.host_ip in UNSPECIFIED:
        return True
    try:
        return address == ipaddress.ip_address(binding.host_ip)
    except ValueError:
        return False


def _published(binding: nodes.ApiBinding) -> str:
    host = binding.host_ip if binding.host_ip not in UNSPECIFIED else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}:{binding.host_port} (published by node container {binding.container})"


def kind_server_problem(
    cluster: str, entries: ContextEntries, allow_sim: bool, settings: Settings
) -> str | None:
    """Why the context of kind cluster `cluster` may not be used (None: it is the cluster's own).

    `settings` says where Docker is (as the docker CLI and kind find it).

    Raises:
        DevstackError: Docker is not reachable and the simulator is not allowed (exit 3).
    """
    server = entries.server
    where = f"its server is {server} (kubeconfig {entries.cluster_source})"
    try:
        bindings: list[nodes.ApiBinding] | None = nodes.api_bindings(cluster, settings)
    except DevstackError:
        if not allow_sim:
            raise
        bindings = None
    if bindings:
        if any(matches(server, binding) for binding in bindings):
            return None
        shown = ", ".join(_published(binding) for binding in bindings)
        return f"{where}, but kind cluster {cluster}'s API server is {shown}"
    if allow_sim:
        scheme, host, port = _address(server)
        if scheme == "https" and host == "127.0.0.1" and port:
            return None
        return f"{where}, but a simulated kind cluster without node containers serves on https://127.0.0.1:<port>"
    return (
        f"{where}, but no node container of kind cluster {cluster} publishes an API server "
        f"(`docker ps -a --filter label={nodes.CLUSTER_LABEL}={cluster}` finds none)"
    )


def verify_kind_context(cluster: str, entries: ContextEntries, allow_sim: bool, settings: Settings) -> None:
    """Refuse (exit 2) a `kind-<cluster>` context that is not the cluster's own API server.

    Raises:
        DevstackError: refused (exit 2), or Docker unreachable (exit 3).
    """
    problem = kind_server_problem(cluster, entries, allow_sim, settings)
    if problem is not None:
        raise DevstackError(
            f"refusing kube context {entries.context}: {problem}",
            fix=f"`kind export kubeconfig --name {cluster}` rewrites the context with the cluster's "
            f"address; if the cluster is gone, `devstack up` creates it",
            exit_code=USAGE,
        )


def kind_verifier(
    cluster: str, allow_sim: bool, settings: Settings
) -> Callable[[ContextEntries], None] | None:
    """The check a confinement runs on the context of kind cluster `cluster` (None: not kind)."""
    if not cluster:
        return None  # an existing cluster: the allowlist alone decides
    return partial(verify_kind_context, cluster, allow_sim=allow_sim, settings=settings)
