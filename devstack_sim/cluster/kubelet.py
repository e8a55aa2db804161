"""The simulated kubelet: runs the pods bound to its node and reports their status."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import defaultdict

from devstack_sim.errors import ApiError
from devstack_sim.resources import PODS
from devstack_sim.runtime import ClusterOptions
from devstack_sim.store import Change, Obj, Store

from . import podutil
from .context import NodeContext
from .events import EventRecorder
from .images import ImageTable
from .podworker import PodWorker
from .workqueue import WorkQueue

log = logging.getLogger(__name__)


class IPAllocator:
    """Pod IPs from 10.244.0.0/16, handed out in order and reused once free."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        self._next = 2

    def allocate(self) -> str:
        """A free address.

        Raises:
            RuntimeError: the range is exhausted.
        """
        for _ in range(65536):
            n = self._next
            self._next = n + 1 if n < 65534 else 2
            if n in self._used or n & 0xFF in (0, 255):
                continue
            self._used.add(n)
            return f"10.244.{n >> 8}.{n & 0xFF}"
        raise RuntimeError("no pod IPs left in 10.244.0.0/16")

    def release(self, ip: str) -> None:
        """Give an address back."""
        parts = ip.split(".")
        self._used.discard((int(parts[2]) << 8) | int(parts[3]))


class Kubelet:
    """Starts a `PodWorker` per pod bound to the node; writes pod status; finishes deletions."""

    def __init__(
        self,
        store: Store,
        images: ImageTable,
        options: ClusterOptions,
        recorder: EventRecorder,
        host_ip: str,
    ):
        self._store = store
        self.node = NodeContext(
            store=store,
            images=images,
            options=options,
            events=recorder,
            node_name=options.node_name,
            host_ip=host_ip,
            publish=self._publish,
        )
        self._workers: dict[str, PodWorker] = {}
        self._by_namespace: defaultdict[str, set[str]] = defaultdict(set)
        self._terminations: dict[str, asyncio.Task[None]] = {}
        self._ips = IPAllocator()
        self._ports_in_use: set[int] = set()
        self._status: WorkQueue[str] = WorkQueue("kubelet-status", self._write_status)
        self._orphans: WorkQueue[tuple[str, str, str]] = WorkQueue("kubelet-orphans", self._delete_orphan)
        self._closed = False

    # ------------------------------------------------------------------ lookups
    def worker(self, namespace: str, name: str) -> PodWorker | None:
        """The worker of a stored pod, if this node runs it."""
        pod = self._store.get(PODS, namespace, name)
        if pod is None:
            return None
        return self._workers.get(pod["metadata"]["uid"])

    def workers(self) -> list[PodWorker]:
        """Every pod worker (running or terminating)."""
        return list(self._workers.values())

    # ------------------------------------------------------------------ changes
    def on_pod(self, change: Change) -> None:
        """React to a pod change: start, update or terminate its worker."""
        if self._closed:
            return
        pod = change.obj
        meta = pod["metadata"]
        uid = meta["uid"]
        worker = self._workers.get(uid)
        if change.type == "DELETED":
            if worker is not None and uid not in self._terminations:
                self._terminate(worker, remove=False)  # force-deleted: stop it, nothing left to delete
            return
        if pod.get("spec", {}).get("nodeName") != self.node.node_name:
            return
        if worker is None:
            if podutil.is_terminating(pod):
                self._orphans.add((meta["namespace"], meta["name"], uid))
            elif not podutil.is_finished(pod):
                self._start(pod)
            return
        worker.pod = pod
        if podutil.is_terminating(pod) and uid not in self._terminations:
            self._terminate(worker, remove=True)

    def on_config(self, change: Change) -> None:
        """A Secret or ConfigMap changed: containers of that namespace waiting for config retry."""
        namespace = change.obj["metadata"].get("namespace", "")
        for uid in self._by_namespace.get(namespace, ()):
            worker = self._workers.get(uid)
            if worker is not None:
                for container in worker.all_workers:
                    container.config_changed()

    def _start(self, pod: Obj) -> None:
        worker = PodWorker(self.node, pod, self._ips.allocate())
        self._workers[worker.uid] = worker
        self._by_namespace[worker.namespace].add(worker.uid)
        worker.start(self._allocate_port)

    def _allocate_port(self) -> int:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = int(sock.getsockname()[1])
            if port not in self._ports_in_use:
                self._ports_in_use.add(port)
                return port
        raise RuntimeError("could not find a free local port")

    # ------------------------------------------------------------------- status
    def _publish(self, uid: str) -> None:
        self._status.add(uid)

    def _write_status(self, uid: str) -> None:
        worker = self._workers.get(uid)
        if worker is None or worker.terminating:
            return
        pod = self._store.get(PODS, worker.namespace, worker.name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        status = worker.build_status(pod.get("status"))
        if status == pod.get("status"):
            return

        def apply(obj: Obj) -> None:
            obj["status"] = status

        self._store.mutate(PODS, worker.namespace, worker.name, apply)

    def _delete_orphan(self, key: tuple[str, str, str]) -> None:
        pod = self._store.get(PODS, key[0], key[1])
        if pod is not None and pod["metadata"]["uid"] == key[2] and key[2] not in self._workers:
            self._store.delete(PODS, key[0], key[1], grace=False)

    # -------------------------------------------------------------- termination
    def _terminate(self, worker: PodWorker, remove: bool) -> None:
        task = asyncio.create_task(self._run_termination(worker, remove), name=f"sim-stop-{worker.name}")
        self._terminations[worker.uid] = task

    async def _run_termination(self, worker: PodWorker, remove: bool) -> None:
        try:
            await worker.terminate(worker.grace_seconds())
        finally:
            self._forget(worker)
            self._terminations.pop(worker.uid, None)
        if not remove or self._closed:
            return
        pod = self._store.get(PODS, worker.namespace, worker.name)
        if pod is not None and pod["metadata"]["uid"] == worker.uid:
            try:
                self._store.delete(PODS, worker.namespace, worker.name, grace=False)
            except ApiError as exc:
                log.debug("pod %s already gone: %s", worker.ref, exc)

    def _forget(self, worker: PodWorker) -> None:
        worker.close_logs()
        if self._workers.get(worker.uid) is worker:
            del self._workers[worker.uid]
        uids = self._by_namespace.get(worker.namespace)
        if uids is not None:
            uids.discard(worker.uid)
            if not uids:
                del self._by_namespace[worker.namespace]
        self._ips.release(worker.pod_ip)
        self._ports_in_use.difference_update(worker.ports.values())

    async def stop(self) -> None:
        """Stop every pod's processes (TERM, wait, KILL, reap); the store is left as it is."""
        self._closed = True
        self._status.close()
        self._orphans.close()
        grace = self.node.options.termination_grace_cap_seconds
        pending = list(self._terminations.values())
        workers = [w for w in self._workers.values() if w.uid not in self._terminations]
        await asyncio.gather(*(w.terminate(grace) for w in workers), return_exceptions=True)
        await asyncio.gather(*pending, return_exceptions=True)
        for worker in workers:
            self._forget(worker)
