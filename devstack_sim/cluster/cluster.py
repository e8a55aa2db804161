"""`Cluster`: the controllers and the kubelet of the simulator, on top of its object store."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
from collections.abc import AsyncIterator

from devstack_sim import errors
from devstack_sim.errors import ApiError
from devstack_sim.resources import (
    CONFIGMAPS,
    DEPLOYMENTS,
    ENDPOINTSLICES,
    NODES,
    PODS,
    REPLICASETS,
    SECRETS,
    SERVICES,
)
from devstack_sim.runtime import ClusterOptions, ExecRequest, ExecStartError, LogRequest
from devstack_sim.store import Change, Store

from .container import ContainerWorker
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .endpointslices import EndpointSliceController
from .events import EventRecorder
from .execs import ExecProcess
from .images import ImageTable
from .index import ObjectIndex
from .kubelet import Kubelet
from .node import ensure_node, node_ip
from .replicaset import ReplicaSetController
from .scheduler import Scheduler
from .services import ServiceAllocator

log = logging.getLogger(__name__)

_PULL_WAITING = {  # the kubelet's wording (validateContainerLogStatus)
    "ErrImagePull": "image can't be pulled",
    "ImagePullBackOff": "trying and failing to pull image",
}


class Cluster:
    """One simulated node and its control plane: scheduler, kubelet and controllers.

    Containers are real local processes (or none, for processless images) picked from an
    `ImageTable`. Everything runs on the event loop that calls `start()`.
    """

    def __init__(
        self,
        store: Store,
        images: ImageTable | str | os.PathLike[str] | None = None,
        options: ClusterOptions | None = None,
    ):
        self.store = store
        if images is None:
            images = ImageTable.default()
        elif not isinstance(images, ImageTable):
            images = ImageTable.load(os.fspath(images))
        self.images = images
        self.options = options or ClusterOptions()
        self._pods = ObjectIndex()
        self._replicasets = ObjectIndex()
        self._events = EventRecorder(store, self.options.node_name)
        self._scheduler: Scheduler | None = None
        self._kubelet: Kubelet | None = None
        self._rs = ReplicaSetController(store, self._events, self._pods)
        self._deployments = DeploymentController(store, self._events, self._replicasets, self._pods)
        self._slices = EndpointSliceController(store, self._pods)
        self._endpoints = EndpointsController(store)
        self._service_ips = ServiceAllocator(store)
        self._running = False
        self._stopped = False

    @property
    def node_name(self) -> str:
        """The node this cluster runs pods on (known after `start()`)."""
        return self.options.node_name

    # ---------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        """Register the node, subscribe the controllers and reconcile what the store already holds.

        The node is `options.node_name`. When that is left at its default and the store already
        holds exactly one node (the Simulator seeds `<name>-control-plane`), that node is adopted.

        Raises:
            RuntimeError: the cluster was stopped (a stopped cluster cannot start again).
        """
        if self._stopped:
            raise RuntimeError("a stopped Cluster cannot be started again")
        if self._running:
            return
        nodes = self.store.list(NODES)
        default_name = self.options.node_name == ClusterOptions().node_name
        if default_name and self.store.get(NODES, "", self.options.node_name) is None and len(nodes) == 1:
            self.options = dataclasses.replace(self.options, node_name=nodes[0]["metadata"]["name"])
            self._events.node_name = self.options.node_name
        node = ensure_node(self.store, self.options.node_name)
        self._scheduler = Scheduler(self.store, self._events, self.options.node_name)
        self._kubelet = Kubelet(self.store, self.images, self.options, self._events, node_ip(node))
        self._running = True
        self.store.subscribe(self._on_change)
        rv = self.store.resource_version
        for rtype in (SERVICES, ENDPOINTSLICES, REPLICASETS, DEPLOYMENTS, PODS):
            for obj in self.store.list(rtype):
                self._on_change(Change("ADDED", rtype, obj, None, rv))
        self._events.start()

    async def stop(self) -> None:
        """Stop every process (TERM, wait, KILL, reap) and every task; the store is left as is."""
        if self._stopped:
            return
        self._stopped = True
        self._running = False
        queues = (self._rs.queue, self._deployments.queue, self._slices.queue, self._endpoints.queue)
        for queue in (*queues, self._service_ips.queue):
            queue.close()
        if self._scheduler is not None:
            self._scheduler.close()
        if self._kubelet is not None:
            await self._kubelet.stop()
        await self._events.stop()

    def _on_change(self, change: Change) -> None:
        if not self._running:
            return
        try:
            self._dispatch(change)
        except Exception:  # a controller bug must not fail the API write that triggered it
            log.exception("cluster: handling %s %s failed", change.type, change.rtype.key)

    def _dispatch(self, change: Change) -> None:
        key = change.rtype.key
        kubelet = self._kubelet
        if key == PODS.key:
            self._pods.apply(change)
            if self._scheduler is not None:
                self._scheduler.on_pod(change)
            if kubelet is not None:
                kubelet.on_pod(change)
            self._rs.on_pod(change)
            self._deployments.on_pod(change)
            self._slices.on_pod(change)
        elif key == REPLICASETS.key:
            self._replicasets.apply(change)
            self._rs.on_replicaset(change)
            self._deployments.on_replicaset(change)
        elif key == DEPLOYMENTS.key:
            self._deployments.on_deployment(change)
        elif key == SERVICES.key:
            self._service_ips.on_service(change)
            self._slices.on_service(change)
            self._endpoints.on_service(change)
        elif key == ENDPOINTSLICES.key:
            self._slices.on_slice(change)
            self._endpoints.on_slice(change)
        elif key in (SECRETS.key, CONFIGMAPS.key) and kubelet is not None:
            kubelet.on_config(change)

    # ------------------------------------------------------------- PodRuntime
    def _require_pod(self, namespace: str, pod: str) -> dict[str, object]:
        return self.store.require(PODS, namespace, pod)

    def _container(self, namespace: str, pod: str, container: str | None) -> ContainerWorker:
        obj = self._require_pod(namespace, pod)
        spec = obj.get("spec") or {}
        names = [str(c.get("name")) for c in spec.get("containers") or []]  # type: ignore[attr-defined]
        init_names = [str(c.get("name")) for c in spec.get("initContainers") or []]  # type: ignore[attr-defined]
        if container is None and len(names) != 1:
            message = f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]"
            if init_names:
                message += f" or one of the init containers: [{' '.join(init_names)}]"
            raise errors.bad_request(message)
        name = container if container is not None else names[0]
        if name not in names and name not in init_names:
            raise errors.bad_request(f"container {name} is not valid for pod {pod}")
        worker = self._kubelet.worker(namespace, pod) if self._kubelet is not None else None
        found = worker.container(name) if worker is not None else None
        if found is None:
            raise errors.bad_request(
                f'container "{name}" in pod "{pod}" is waiting to start: ContainerCreating'
            )
        return found

    def logs(self, request: LogRequest) -> AsyncIterator[bytes]:
        """A container's log (see `PodRuntime.logs`); errors are raised here, before any line.

        Raises:
            ApiError: 404 unknown pod; 400 for an ambiguous/unknown container, a container that never
                started, or `previous` without a previous instance.
        """
        worker = self._container(request.namespace, request.pod, request.container)
        instance = worker.log_instance(request.previous)
        if instance is None and request.previous:
            raise errors.bad_request(
                f'previous terminated container "{worker.name}" in pod "{request.pod}" not found'
            )
        if instance is None:
            reason = str((worker.state.get("waiting") or {}).get("reason") or "ContainerCreating")
            raise errors.bad_request(
                f'container "{worker.name}" in pod "{request.pod}" is waiting to start: '
                f"{_PULL_WAITING.get(reason, reason)}"
            )
        return instance.log.read(
            tail_lines=request.tail_lines,
            timestamps=request.timestamps,
            follow=request.follow and not request.previous,
        )

    async def open_port(
        self, namespace: str, pod: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to container port `port` of a running pod, through its mapped local port.

        Raises:
            ApiError: 404 unknown pod, 400 pod not running, 500 nothing listens on the port.
        """
        obj = self._require_pod(namespace, pod)
        phase = (obj.get("status") or {}).get("phase", "Pending")  # type: ignore[attr-defined]
        worker = self._kubelet.worker(namespace, pod) if self._kubelet is not None else None
        if worker is None or phase != "Running":
            raise errors.bad_request(
                f"unable to forward port because pod is not running. Current status={phase}"
            )
        real = worker.ports.get(int(port))
        refused = ApiError(
            500,
            "InternalError",
            f'failed to execute portforward in network namespace "/var/run/netns/cni-{worker.uid}": '
            f'failed to connect to localhost:{port} inside namespace "{worker.uid}", IPv4: dial tcp4 '
            f"127.0.0.1:{port}: connect: connection refused IPv6 dial tcp6: address localhost: "
            "no suitable address",
        )
        if real is None:
            raise refused
        try:
            return await asyncio.open_connection("127.0.0.1", real)
        except OSError as exc:
            raise refused from exc

    # ------------------------------------------------------------------- exec
    def exec_target(self, request: ExecRequest) -> str:
        """The API server's checks before an exec stream is upgraded (see `PodRuntime.exec_target`)."""
        obj = self._require_pod(request.namespace, request.pod)
        spec: dict[str, object] = obj.get("spec") or {}  # type: ignore[assignment]
        phase = str((obj.get("status") or {}).get("phase", "Pending"))  # type: ignore[attr-defined]
        if not spec.get("nodeName"):
            raise errors.bad_request(f"pod {request.pod} does not have a host assigned")
        if phase in ("Succeeded", "Failed"):
            raise errors.bad_request(
                f"cannot exec into a container in a completed pod; current phase is {phase}"
            )
        containers = spec.get("containers") or []
        names = [str(c.get("name")) for c in containers]  # type: ignore[attr-defined]
        init = [str(c.get("name")) for c in spec.get("initContainers") or []]  # type: ignore[attr-defined]
        if request.container is None:
            if len(names) != 1:
                message = (
                    f"a container name must be specified for pod {request.pod}, "
                    f"choose one of: [{' '.join(names)}]"
                )
                raise errors.bad_request(message)
            return names[0]
        if request.container not in names and request.container not in init:
            raise errors.bad_request(f"container {request.container} is not valid for pod {request.pod}")
        return request.container

    async def exec(self, request: ExecRequest) -> ExecProcess:
        """Run a command in a running container (see `PodRuntime.exec`)."""
        name = self.exec_target(request)
        pod = self._kubelet.worker(request.namespace, request.pod) if self._kubelet is not None else None
        worker = pod.container(name) if pod is not None else None
        instance = worker.current if worker is not None else None
        if worker is None or instance is None or instance.done or worker.image_spec is None:
            raise ExecStartError(f'unable to upgrade connection: container not found ("{name}")')
        if worker.image_spec.noop:
            raise ExecStartError(_exec_failed(request.command[0], "no such file or directory"), 126)
        try:
            session = await ExecProcess.spawn(
                request.command,
                worker.image_spec.cwd,
                worker.env,
                stdin=request.stdin,
                stdout=request.stdout,
                stderr=request.stderr,
                tty=request.tty,
            )
        except FileNotFoundError:
            missing = _exec_failed(request.command[0], "executable file not found in $PATH")
            raise ExecStartError(missing, 126) from None
        except OSError as exc:
            raise ExecStartError(_exec_failed(request.command[0], exc.strerror or str(exc)), 126) from None
        worker.execs.add(session)  # killed when the container instance ends
        asyncio.ensure_future(session.wait()).add_done_callback(lambda _: worker.execs.discard(session))
        return session

    # ------------------------------------------------------------------ faults
    def _live_container(self, namespace: str, pod: str, container: str | None) -> ContainerWorker:
        worker = self._container(namespace, pod, container)
        if worker.current is None or worker.current.done:
            raise errors.bad_request(f'container "{worker.name}" in pod "{pod}" is not running')
        return worker

    def kill_process(
        self, namespace: str, pod: str, container: str | None = None, exit_code: int | None = None
    ) -> int | None:
        """Fault: kill a container's process; the exit is observed like any real exit.

        Without `exit_code` the process gets SIGKILL (exit 137). A code of 129–192 sends that
        signal (128+N) for real, so a process may handle it; any other code SIGKILLs the
        process and reports that code. Returns the pid (None for a processless container).

        Raises:
            ApiError: unknown pod (404), unknown container or not running (400).
        """
        instance = self._live_container(namespace, pod, container).current
        assert instance is not None
        if exit_code is None:
            instance.signal(signal.SIGKILL)
        elif 128 < exit_code <= 128 + 64:
            instance.signal(exit_code - 128)
        else:
            instance.force_exit(exit_code, "Completed" if exit_code == 0 else "Error")
        return instance.pid

    def inject_oom(self, namespace: str, pod: str, container: str | None = None) -> int | None:
        """Fault: SIGKILL a container's process and report it as `OOMKilled` (exit 137).

        Raises:
            ApiError: unknown pod (404), unknown container or not running (400).
        """
        instance = self._live_container(namespace, pod, container).current
        assert instance is not None
        instance.force_exit(137, "OOMKilled")
        return instance.pid

    def pids(self, namespace: str, pod: str) -> dict[str, int | None]:
        """Container name → pid of its current live process (None when it has none)."""
        worker = self._kubelet.worker(namespace, pod) if self._kubelet is not None else None
        if worker is None:
            return {}
        return {
            c.name: (c.current.pid if c.current is not None and not c.current.done else None)
            for c in worker.all_workers
        }


def _exec_failed(program: str, cause: str) -> str:
    """runc's words for a program an exec cannot start (written on the session's output)."""
    return (
        "OCI runtime exec failed: exec failed: unable to start container process: "
        f'exec: "{program}": {cause}: unknown'
    )
