"""`Simulator`: one simulated kind cluster — store, API server, certificates, kubeconfig, runtime.

`start()` seeds what a fresh kind cluster holds (namespaces `default`, `kube-system`,
`kube-public`, `kube-node-lease`; a Ready node `<name>-control-plane`; service account
`default` and ConfigMap `kube-root-ca.crt` per namespace; Service `kubernetes`), starts the
runtime (if a factory was given) and the API server, and merges `kind-<name>` into the kubeconfig.
The state directory keeps the certificates (`pki/`) and the port (`simulator.json`), so a
restarted simulator serves with the same identity on the same port; objects are not persisted.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from devstack_sim import certs, defaults, kubeconfig
from devstack_sim.auth import TokenAuthority
from devstack_sim.faults import Faults
from devstack_sim.node import node_object
from devstack_sim.resources import CONFIGMAPS, NAMESPACES, NODES, SERVICEACCOUNTS, SERVICES
from devstack_sim.runtime import PodRuntime
from devstack_sim.server import ApiServer
from devstack_sim.store import Obj, Store

log = logging.getLogger(__name__)

NAMESPACES_AT_START = ("default", "kube-node-lease", "kube-public", "kube-system")
_STATE_FILE = "simulator.json"


class ManagedRuntime(PodRuntime, Protocol):
    """A PodRuntime the simulator starts and stops (the cluster's `Cluster`)."""

    async def start(self) -> None:
        """Start controllers and the node."""
        ...

    async def stop(self) -> None:
        """Stop everything; every pod process is gone when this returns."""
        ...


RuntimeFactory = Callable[[Store], ManagedRuntime]


def seed(store: Store, cluster: str, ca_pem: bytes) -> None:
    """Create the objects a fresh kind cluster has (idempotent per object)."""
    for name in NAMESPACES_AT_START:
        if store.get(NAMESPACES, "", name) is None:
            namespace: Obj = {"metadata": {"name": name}}
            defaults.apply(NAMESPACES, namespace)
            store.create(NAMESPACES, namespace)
    node = f"{cluster}-control-plane"
    if store.get(NODES, "", node) is None:
        store.create(NODES, node_object(node))
    for name in NAMESPACES_AT_START:
        if store.get(SERVICEACCOUNTS, name, "default") is None:
            store.create(SERVICEACCOUNTS, {"metadata": {"name": "default", "namespace": name}})
        if store.get(CONFIGMAPS, name, "kube-root-ca.crt") is None:
            store.create(
                CONFIGMAPS,
                {
                    "metadata": {
                        "name": "kube-root-ca.crt",
                        "namespace": name,
                        "annotations": {
                            "kubernetes.io/description": "Contains a CA bundle for the API server."
                        },
                    },
                    "data": {"ca.crt": ca_pem.decode()},
                },
            )
    if store.get(SERVICES, "default", "kubernetes") is None:
        service: Obj = {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": "10.96.0.1",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            },
        }
        defaults.apply(SERVICES, service)
        store.create(SERVICES, service)


class Simulator:
    """A simulated kind cluster.

    Args:
        name: Cluster name; kubeconfig entries are `kind-<name>`.
        state_dir: Keeps certificates and the port across restarts.
        kubeconfig: Kubeconfig file to merge the entries into (None: do not write one).
        port: API port; 0 reuses the saved port or picks a free one.
        runtime_factory: Builds the node side from the store (None: logs/port-forward answer errors).
        set_context: Whether the merge makes `kind-<name>` the current context.
        bookmark_interval: Seconds between watch BOOKMARK events.
        token_file: A `--token-auth-file` of static bearer tokens (None: none).
        server_names: The serving certificate's names instead of kind's; when they leave out
            127.0.0.1 the kubeconfig entry gets `tls-server-name` (the first name).
    """

    def __init__(
        self,
        name: str,
        state_dir: Path,
        kubeconfig: Path | None,
        port: int = 0,
        runtime_factory: RuntimeFactory | None = None,
        set_context: bool = True,
        bookmark_interval: float = 5.0,
        token_file: Path | None = None,
        server_names: tuple[str, ...] | None = None,
    ):
        self.name = name
        self.state_dir = Path(state_dir)
        self.kubeconfig = kubeconfig
        self.store = Store()
        self.runtime: ManagedRuntime | None = None
        self._requested_port = port
        self._runtime_factory = runtime_factory
        self._set_context = set_context
        self._bookmark_interval = bookmark_interval
        self._server: ApiServer | None = None
        self.certs: certs.ClusterCerts | None = None
        self.tokens = TokenAuthority(token_file)
        self.server_names = server_names

    @property
    def context(self) -> str:
        """The kubeconfig context name, `kind-<name>`."""
        return kubeconfig.entry_name(self.name)

    @property
    def server(self) -> ApiServer:
        """The API server (after `start`)."""
        if self._server is None:
            raise RuntimeError("Simulator.start() was not called")
        return self._server

    @property
    def port(self) -> int:
        """The API server's port."""
        return self.server.port

    @property
    def faults(self) -> Faults:
        """Fault injection of the API server."""
        return self.server.faults

    @property
    def pki_dir(self) -> Path:
        """Where the PEM files live."""
        return self.state_dir / "pki"

    def kubeconfig_dict(self) -> dict[str, Any]:
        """This cluster's kubeconfig entries (current-context set to it)."""
        if self.certs is None:
            raise RuntimeError("Simulator.start() was not called")
        names = self.server_names or ()
        tls_server_name = names[0] if names and "127.0.0.1" not in names else None
        return kubeconfig.build(self.name, self.port, self.certs, tls_server_name=tls_server_name)

    def _saved_port(self) -> int:
        try:
            data = json.loads((self.state_dir / _STATE_FILE).read_text())
        except (OSError, ValueError):
            return 0
        return int(data.get("port", 0)) if isinstance(data, dict) else 0

    async def start(self) -> None:
        """Seed objects, start the runtime and the API server, write the kubeconfig."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.certs = certs.load_or_generate(self.pki_dir, self.name, self.server_names)
        seed(self.store, self.name, self.certs.ca_cert)
        if self._runtime_factory is not None:
            self.runtime = self._runtime_factory(self.store)
            await self.runtime.start()
        port = self._requested_port or self._saved_port()
        self._server = ApiServer(
            self.store,
            self.certs,
            self.pki_dir,
            self.runtime,
            port=port,
            bookmark_interval=self._bookmark_interval,
            tokens=self.tokens,
        )
        try:
            await self._server.start()
        except OSError:
            if self._requested_port or not port:
                raise
            log.warning("saved port %d is taken; picking a free port", port)
            await self._server.stop()
            self._server = ApiServer(
                self.store,
                self.certs,
                self.pki_dir,
                self.runtime,
                port=0,
                bookmark_interval=self._bookmark_interval,
                tokens=self.tokens,
            )
            await self._server.start()
        (self.state_dir / _STATE_FILE).write_text(json.dumps({"name": self.name, "port": self.port}) + "\n")
        if self.kubeconfig is not None:
            kubeconfig.merge_into_file(self.kubeconfig, self.kubeconfig_dict(), set_current=self._set_context)

    async def stop(self) -> None:
        """Stop the runtime (every pod process ends) and the API server."""
        try:
            if self.runtime is not None:
                await self.runtime.stop()
        finally:
            if self._server is not None:
                await self._server.stop()
