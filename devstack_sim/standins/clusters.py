"""What the stand-ins know about their clusters: the record in the cluster folder, its node
containers, its daemon, and whether the cluster exists (as `kind get clusters` would say)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack_sim import certs
from devstack_sim import kubeconfig as kubeconfig_mod
from devstack_sim.standins import daemon, nodes
from devstack_sim.standins.home import cluster_dir, clusters_dir, read_json

RECORD = "cluster.json"


@dataclass(frozen=True)
class ClusterState:
    """One cluster as found on disk, in Docker and in the process table."""

    name: str
    folder: Path
    record: dict[str, Any]
    containers: tuple[Any, ...]
    daemon_alive: bool

    @property
    def exists(self) -> bool:
        """kind's view: node containers exist (Docker clusters) or the simulator runs (no Docker)."""
        if self.containers:
            return True
        return bool(self.record) and not self.record.get("docker") and self.daemon_alive

    @property
    def node_names(self) -> list[str]:
        """Node names: the containers' when there are any, else the recorded ones."""
        if self.containers:
            return sorted(c.name for c in self.containers)
        if self.exists:
            return sorted(str(n["name"]) for n in self.record.get("nodes") or [])
        return []

    @property
    def api_port(self) -> int:
        """The simulated API server's port."""
        return int(self.record.get("api_port") or 0)


def state(home: Path, name: str, client: Any | None) -> ClusterState:
    """Look the cluster up (client: a docker SDK client, or None without Docker)."""
    folder = cluster_dir(home, name)
    record = read_json(folder / RECORD, {})
    containers: tuple[Any, ...] = ()
    if client is not None:
        containers = tuple(nodes.list_nodes(client, name, home))
    return ClusterState(
        name=name,
        folder=folder,
        record=record if isinstance(record, dict) else {},
        containers=containers,
        daemon_alive=daemon.running(folder) is not None,
    )


def names(home: Path, client: Any | None) -> list[str]:
    """The clusters that exist, sorted."""
    candidates: set[str] = set()
    base = clusters_dir(home)
    if base.is_dir():
        candidates.update(p.name for p in base.iterdir() if p.is_dir())
    if client is not None:
        for container in nodes.list_nodes(client, None, home):
            candidates.add(container.labels.get(nodes.CLUSTER_LABEL, ""))
    return sorted(n for n in candidates if n and state(home, n, client).exists)


def kubeconfig_entries(found: ClusterState, internal: bool = False) -> dict[str, Any]:
    """The cluster's kubeconfig document (context, cluster and user `kind-NAME`)."""
    loaded = certs.load(found.folder / "pki")
    if loaded is None:
        raise FileNotFoundError(f"{found.folder / 'pki'}: the cluster's certificates are missing")
    if internal:
        host = str(found.record.get("internal_host") or f"{found.name}-control-plane")
        return kubeconfig_mod.build(found.name, 6443, loaded, host=host)
    return kubeconfig_mod.build(found.name, found.api_port, loaded)


def tear_down(home: Path, found: ClusterState, client: Any | None) -> None:
    """Stop the daemon, remove the node containers and the cluster folder."""
    daemon.stop(found.folder)
    if client is not None and found.containers:
        nodes.remove_nodes(client, list(found.containers))
    shutil.rmtree(found.folder, ignore_errors=True)
