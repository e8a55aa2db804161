"""`--port-forward` of the skaffold stand-in: local listeners bridged to pods through the API
server's WebSocket port-forward (the official client's `kubernetes.stream.portforward`).

`user` forwards the config's `portForward` entries, `services` every Service this run deployed.
Each entry prints skaffold's `Port forwarding service/NAME in namespace NS, remote port P ->
http://127.0.0.1:L`; a busy local port moves to the next free one (+1 … +10, then 4503–4533, then
a random port), as skaffold does. Listeners bind 127.0.0.1 only. Every connection resolves its pod
again (the newest running pod behind the resource), so forwards survive redeploys.
"""

from __future__ import annotations

import contextlib
import functools
import select
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack_sim.standins.apply import Kube
from devstack_sim.standins.render import RUN_ID

Out = Callable[[str], None]
_PLURALS = {
    "deployment": "deployments",
    "replicaset": "replicasets",
    "statefulset": "statefulsets",
    "daemonset": "daemonsets",
}


@dataclass(frozen=True)
class Entry:
    """One forward: a resource's port to a local port."""

    resource_type: str  # service, pod, deployment, ...
    name: str
    namespace: str
    port: int | str
    local_port: int


def entries_for(
    modes: list[str], config: dict[str, Any], kube: Kube, namespaces: list[str], run_id: str
) -> list[Entry]:
    """The forwards the modes ask for (`user` entries first, then `services`)."""
    found: list[Entry] = []
    if "user" in modes:
        for raw in config.get("portForward") or []:
            port = raw.get("port")
            found.append(
                Entry(
                    str(raw.get("resourceType", "service")).lower(),
                    str(raw.get("resourceName")),
                    str(raw.get("namespace") or (namespaces[0] if namespaces else "default")),
                    port if isinstance(port, int) else str(port),
                    int(raw.get("localPort") or (port if isinstance(port, int) else 0)),
                )
            )
    if "services" in modes:
        for namespace in namespaces:
            for svc in kube.list(f"/api/v1/namespaces/{namespace}/services", f"{RUN_ID}={run_id}"):
                for port in (svc.get("spec") or {}).get("ports") or []:
                    entry = Entry(
                        "service", svc["metadata"]["name"], namespace, int(port["port"]), int(port["port"])
                    )
                    if all(
                        (e.resource_type, e.name, e.namespace, e.port)
                        != (entry.resource_type, entry.name, entry.namespace, entry.port)
                        for e in found
                    ):
                        found.append(entry)
    return found


def _candidates(wanted: int) -> list[int]:
    base = [wanted + i for i in range(11)] if wanted else []
    return [p for p in [*base, *range(4503, 4534)] if 0 < p < 65536] + [0]


def _listen(wanted: int) -> socket.socket:
    for port in _candidates(wanted):
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            continue
        listener.listen(16)
        return listener
    raise OSError(f"no free local port near {wanted}")


def _pump(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 30)
            if not readable:
                continue
            for source in readable:
                data = source.recv(65536)
                if not data:
                    return
                (b if source is a else a).sendall(data)
    except OSError:
        return


def open_pod_port(kube: Kube, pod: str, namespace: str, port: int) -> Any:
    """A port-forward stream to `port` of a pod through the simulated API server (raises if refused)."""
    from kubernetes import client
    from kubernetes.stream import portforward

    core = client.CoreV1Api(kube.client)
    return portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=str(port))


def relay(conn: socket.socket, forward: Any, port: int) -> None:
    """Copy bytes both ways between a local connection and an open port-forward until one side ends."""
    remote = forward.socket(port)
    try:
        _pump(conn, remote)
    finally:
        with contextlib.suppress(OSError):
            remote.close()
        forward.close()


def accept_each(
    listener: socket.socket, stopped: threading.Event, serve: Callable[[socket.socket], None]
) -> None:
    """Serve each accepted connection on its own thread until `stopped` or the listener closes."""
    while not stopped.is_set():
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


class PortForwarder:
    """Runs the listeners of a set of entries until `stop()`."""

    def __init__(self, kube: Kube, out: Out) -> None:
        self.kube = kube
        self.out = out
        self._listeners: list[socket.socket] = []
        self._closed = threading.Event()

    def _pod_and_port(self, entry: Entry) -> tuple[str, int]:
        namespace = entry.namespace
        if entry.resource_type == "pod":
            pod = self.kube.request("GET", f"/api/v1/namespaces/{namespace}/pods/{entry.name}")
            return entry.name, self._container_port(pod, entry.port)
        if entry.resource_type == "service":
            svc = self.kube.request("GET", f"/api/v1/namespaces/{namespace}/services/{entry.name}")
            spec = svc.get("spec") or {}
            selector = spec.get("selector") or {}
            target: int | str = entry.port
            for port in spec.get("ports") or []:
                if entry.port in (port.get("port"), port.get("name")):
                    target = port.get("targetPort", port.get("port"))
        else:
            plural = _PLURALS.get(entry.resource_type, entry.resource_type + "s")
            owner = self.kube.request("GET", f"/apis/apps/v1/namespaces/{namespace}/{plural}/{entry.name}")
            selector = ((owner.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
            target = entry.port
        labels = ",".join(f"{k}={v}" for k, v in selector.items())
        pods = [
            p
            for p in self.kube.list(f"/api/v1/namespaces/{namespace}/pods", labels)
            if (p.get("status") or {}).get("phase") == "Running"
            and not p["metadata"].get("deletionTimestamp")
        ]
        if not pods:
            raise OSError(f"no running pod behind {entry.resource_type}/{entry.name}")
        newest = max(pods, key=lambda p: str(p["metadata"].get("creationTimestamp")))
        return str(newest["metadata"]["name"]), self._container_port(newest, target)

    @staticmethod
    def _container_port(pod: dict[str, Any], port: int | str) -> int:
        if isinstance(port, int) or str(port).isdigit():
            return int(port)
        for container in (pod.get("spec") or {}).get("containers") or []:
            for declared in container.get("ports") or []:
                if declared.get("name") == port:
                    return int(declared["containerPort"])
        raise OSError(f"pod {pod['metadata']['name']} has no port named {port}")

    def _serve_connection(self, conn: socket.socket, entry: Entry) -> None:
        with conn:
            try:
                pod, port = self._pod_and_port(entry)
                forward = open_pod_port(self.kube, pod, entry.namespace, port)
            except Exception:  # noqa: BLE001 - a failed forward closes this connection, like kubectl's
                return
            relay(conn, forward, port)

    def start(self, entries: list[Entry]) -> None:
        """Open a listener per entry and print skaffold's line for it."""
        for entry in entries:
            listener = _listen(entry.local_port)
            self._listeners.append(listener)
            local = listener.getsockname()[1]
            self.out(
                f"Port forwarding {entry.resource_type}/{entry.name} in namespace {entry.namespace}, "
                f"remote port {entry.port} -> http://127.0.0.1:{local}"
            )
            serve = functools.partial(self._serve_connection, entry=entry)
            threading.Thread(target=accept_each, args=(listener, self._closed, serve), daemon=True).start()

    def stop(self) -> None:
        """Close every listener."""
        self._closed.set()
        for listener in self._listeners:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        self._listeners.clear()
