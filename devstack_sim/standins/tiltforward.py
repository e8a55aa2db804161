"""Port forwards of the tilt stand-in (TILT.md §6): `k8s_resource(port_forwards=...)` served by the
stand-in itself through the API server's port-forward (like `kubectl port-forward` against the
simulator), bound to the forward's host (default `--host`; `localhost` = 127.0.0.1 and ::1, failing
only when both fail).

A busy local port never stops Tilt: the resource's log gets `Reconnecting... Error port-forwarding
<resource> (<local> -> <container>): Unable to listen on port <local>: ...` and the bind is retried
with back-off (50 ms, doubling, capped at 15 s). Every connection goes to the newest running pod of
the resource's workload at that moment, so forwards follow pod replacements.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
from collections.abc import Callable
from typing import Any

from devstack_sim.standins.apply import Kube
from devstack_sim.standins.portforward import accept_each, open_pod_port, relay
from devstack_sim.standins.tiltdeploy import newest_pod
from devstack_sim.standins.tiltmodel import PortForwardSpec

BACKOFF_START = 0.05
BACKOFF_CAP = 15.0

Log = Callable[[str], None]


def _addresses(host: str) -> list[tuple[int, str]]:
    if host in ("", "localhost"):
        return [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")]
    return [(socket.AF_INET6 if ":" in host else socket.AF_INET, host)]


def _bind(host: str, port: int) -> list[socket.socket]:
    """Listeners on every address of `host` (Tilt's failure mode `all`: an error only if none bind).

    Raises:
        OSError: no address could be bound (Tilt's `Listeners failed to create ...` text).
    """
    listeners, errors = [], []
    for family, address in _addresses(host):
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.bind((address, port))
            listener.listen(64)
        except OSError as err:
            listener.close()
            tcp = "tcp6" if family == socket.AF_INET6 else "tcp4"
            shown = f"[{address}]" if family == socket.AF_INET6 else address
            errors.append(
                f"unable to create listener: Error listen {tcp} {shown}:{port}: bind: "
                f"{(err.strerror or str(err)).lower()}"
            )
            continue
        listeners.append(listener)
    if not listeners:
        raise OSError(
            f"Unable to listen on port {port}: Listeners failed to create with the following errors: "
            f"[{' '.join(errors)}]"
        )
    return listeners


class ResourceForwards:
    """The forwards of one resource, until `stop()`."""

    def __init__(
        self,
        kube: Kube,
        resource: str,
        workload: dict[str, Any],
        namespace: str,
        specs: list[PortForwardSpec],
        default_host: str,
        log: Log,
        spec_hash: Callable[[], str] = lambda: "",
    ) -> None:
        self.kube = kube
        self.resource = resource
        self.workload = workload
        self.namespace = str((workload.get("metadata") or {}).get("namespace") or namespace)
        self.specs = specs
        self.default_host = default_host
        self.log = log
        self.spec_hash = spec_hash
        self.stopped = threading.Event()
        self._listeners: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start binding every forward (in the background, retrying a busy port)."""
        for spec in self.specs:
            threading.Thread(target=self._keep_bound, args=(spec,), daemon=True).start()

    def _keep_bound(self, spec: PortForwardSpec) -> None:
        delay = BACKOFF_START
        while not self.stopped.is_set():
            try:
                listeners = _bind(spec.host or self.default_host, spec.local_port)
            except OSError as err:
                self.log(
                    f"Reconnecting... Error port-forwarding {self.resource} "
                    f"({spec.local_port} -> {spec.container_port}): {err}"
                )
                self.stopped.wait(delay)
                delay = min(delay * 2, BACKOFF_CAP)
                continue
            with self._lock:
                if self.stopped.is_set():
                    for listener in listeners:
                        listener.close()
                    return
                self._listeners += listeners
            for listener in listeners:
                serve = functools.partial(self._serve, spec=spec)
                threading.Thread(
                    target=accept_each, args=(listener, self.stopped, serve), daemon=True
                ).start()
            return

    def _serve(self, conn: socket.socket, spec: PortForwardSpec) -> None:
        with conn:
            try:
                pod = newest_pod(
                    self.kube, self.workload, self.namespace, running=True, spec_hash=self.spec_hash()
                )
                if pod is None:
                    raise OSError("no running pod")
                forward = open_pod_port(
                    self.kube, pod["metadata"]["name"], self.namespace, spec.container_port
                )
            except Exception as err:  # noqa: BLE001 - a failed forward closes this connection, like Tilt's
                self.log(
                    f"Reconnecting... Error port-forwarding {self.resource} "
                    f"({spec.local_port} -> {spec.container_port}): {err}"
                )
                return
            relay(conn, forward, spec.container_port)

    def stop(self) -> None:
        """Close every listener."""
        with self._lock:
            self.stopped.set()
            for listener in self._listeners:
                with contextlib.suppress(OSError):
                    listener.close()
            self._listeners.clear()
