"""kind's cluster config (`kind: Cluster`, `apiVersion: kind.x-k8s.io/v1alpha4`), the parts the
stand-in acts on: name, nodes with roles and extraPortMappings, API server address/port, CNI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

API_VERSION = "kind.x-k8s.io/v1alpha4"
VALID_NAME = re.compile(r"^[a-z0-9.-]+$")
ROLES = ("control-plane", "worker")
PROTOCOLS = ("TCP", "UDP", "SCTP")
_TOP_LEVEL = {
    "kind",
    "apiVersion",
    "name",
    "nodes",
    "networking",
    "featureGates",
    "runtimeConfig",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
    "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
}


class ConfigError(ValueError):
    """The config is invalid; the message is kind's cause text."""


@dataclass(frozen=True)
class PortMapping:
    """One `extraPortMappings` entry, with kind's defaults filled in."""

    container_port: int
    host_port: int  # 0: kind picks a free port; -1: the runtime picks one
    listen_address: str = "0.0.0.0"
    protocol: str = "TCP"

    def as_dict(self) -> dict[str, Any]:
        """The mapping as stored in the cluster folder."""
        return {
            "containerPort": self.container_port,
            "hostPort": self.host_port,
            "listenAddress": self.listen_address,
            "protocol": self.protocol,
        }


@dataclass(frozen=True)
class NodeSpec:
    """One node of the config."""

    role: str
    image: str = ""
    port_mappings: tuple[PortMapping, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterConfig:
    """The parsed config."""

    name: str = ""
    nodes: tuple[NodeSpec, ...] = (NodeSpec("control-plane"),)
    api_server_address: str = "127.0.0.1"
    api_server_port: int = 0
    disable_default_cni: bool = False

    @property
    def control_planes(self) -> int:
        """How many control-plane nodes the config asks for."""
        return sum(1 for n in self.nodes if n.role == "control-plane")

    @property
    def workers(self) -> int:
        """How many worker nodes the config asks for."""
        return sum(1 for n in self.nodes if n.role == "worker")


def validate_name(name: str) -> None:
    """kind's cluster name rule.

    Raises:
        ConfigError: the name does not match `^[a-z0-9.-]+$`.
    """
    if not VALID_NAME.match(name):
        raise ConfigError(
            f"'{name}' is not a valid cluster name, cluster names must match `{VALID_NAME.pattern}`"
        )


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    return value


def _mapping(raw: Any, where: str) -> PortMapping:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping")
    if "containerPort" not in raw:
        raise ConfigError(f"{where}: containerPort is required")
    protocol = str(raw.get("protocol") or "TCP").upper()
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown port mapping protocol: {raw.get('protocol')}")
    return PortMapping(
        container_port=_int(raw["containerPort"], f"{where}.containerPort"),
        host_port=_int(raw.get("hostPort") or 0, f"{where}.hostPort"),
        listen_address=str(raw.get("listenAddress") or "0.0.0.0"),
        protocol=protocol,
    )


def _node(raw: Any, index: int) -> NodeSpec:
    if not isinstance(raw, dict):
        raise ConfigError(f"nodes[{index}]: expected a mapping")
    role = str(raw.get("role") or "control-plane")
    if role not in ROLES:
        raise ConfigError(f'nodes[{index}]: unknown role "{role}" (expected control-plane or worker)')
    mappings = tuple(
        _mapping(m, f"nodes[{index}].extraPortMappings[{j}]")
        for j, m in enumerate(raw.get("extraPortMappings") or [])
    )
    labels = raw.get("labels") or {}
    return NodeSpec(
        role=role,
        image=str(raw.get("image") or ""),
        port_mappings=mappings,
        labels={str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
    )


def parse(text: str) -> ClusterConfig:
    """Parse and check a kind config document.

    Raises:
        ConfigError: wrong kind/apiVersion, unknown top-level field, bad node or mapping.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"error converting YAML to JSON: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("a kind config must be a YAML mapping")
    kind, api_version = data.get("kind"), data.get("apiVersion")
    if api_version != API_VERSION:
        raise ConfigError(f"unknown apiVersion: {api_version or ''}")
    if kind != "Cluster":
        raise ConfigError(f"unknown kind {kind or ''} for apiVersion: {api_version}")
    unknown = sorted(set(data) - _TOP_LEVEL)
    if unknown:
        raise ConfigError(f'error unmarshaling JSON: while decoding JSON: json: unknown field "{unknown[0]}"')
    nodes = tuple(_node(raw, i) for i, raw in enumerate(data.get("nodes") or [{"role": "control-plane"}]))
    if not any(n.role == "control-plane" for n in nodes):
        raise ConfigError("must have at least one control-plane node")
    networking = data.get("networking") or {}
    if not isinstance(networking, dict):
        raise ConfigError("networking: expected a mapping")
    return ClusterConfig(
        name=str(data.get("name") or ""),
        nodes=nodes,
        api_server_address=str(networking.get("apiServerAddress") or "127.0.0.1"),
        api_server_port=_int(networking.get("apiServerPort") or 0, "networking.apiServerPort"),
        disable_default_cni=bool(networking.get("disableDefaultCNI", False)),
    )


def node_names(cluster: str, config: ClusterConfig) -> list[tuple[str, NodeSpec]]:
    """kind's container names: `NAME-control-plane`, `NAME-control-plane2`, `NAME-worker`, `NAME-worker2`."""
    counts: dict[str, int] = {}
    named = []
    for node in config.nodes:
        counts[node.role] = counts.get(node.role, 0) + 1
        suffix = "" if counts[node.role] == 1 else str(counts[node.role])
        named.append((f"{cluster}-{node.role}{suffix}", node))
    return named
