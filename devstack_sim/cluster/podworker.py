"""The kubelet's work for one pod: sandbox (IP, ports), init containers, containers, status."""

from __future__ import annotations

import asyncio
from typing import Any

from devstack_sim.store import Obj

from . import podutil
from .container import ContainerWorker
from .context import NodeContext
from .envs import EnvResolver
from .meta import now_rfc3339


class PodWorker:
    """Runs one pod's containers and turns their state into the pod's `status`."""

    def __init__(self, node: NodeContext, pod: Obj, pod_ip: str):
        self.node = node
        self.pod = pod
        meta = pod["metadata"]
        self.uid: str = meta["uid"]
        self.namespace: str = meta["namespace"]
        self.name: str = meta["name"]
        self.ref = f"{self.name}_{self.namespace}({self.uid})"
        spec = pod.get("spec", {})
        self.restart_policy = str(spec.get("restartPolicy") or "Always")
        self.has_init = bool(spec.get("initContainers"))
        self.pod_ip = pod_ip
        self.ports: dict[int, int] = {}
        self.named_ports = podutil.container_ports(pod)
        self.sandbox_ready = False
        self.initialized = not self.has_init
        self.init_failed = False
        self.terminating = False
        self.start_time = now_rfc3339()
        self.qos = podutil.qos_class(pod)
        self.init_workers = [ContainerWorker(self, c, init=True) for c in spec.get("initContainers") or []]
        self.workers = [ContainerWorker(self, c, init=False) for c in spec.get("containers") or []]
        self._conditions: dict[str, dict[str, Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._container_tasks: list[asyncio.Task[bool]] = []

    # ----------------------------------------------------------------- helpers
    @property
    def all_workers(self) -> list[ContainerWorker]:
        """Init containers, then containers."""
        return self.init_workers + self.workers

    def container(self, name: str | None) -> ContainerWorker | None:
        """A container (or init container) by name; None picks the first container."""
        if name is None:
            return self.workers[0] if self.workers else None
        for worker in self.all_workers:
            if worker.name == name:
                return worker
        return None

    def publish(self) -> None:
        """Ask the kubelet to write this pod's status soon."""
        if not self.terminating:
            self.node.publish(self.uid)

    def env_resolver(self) -> EnvResolver:
        """Resolves env from this pod's namespace."""
        return EnvResolver(self.node.store, self.pod, self.pod_ip, self.node.host_ip)

    def grace_seconds(self) -> float:
        """terminationGracePeriodSeconds (or the deletion's), capped by the node's options."""
        meta_grace = self.pod["metadata"].get("deletionGracePeriodSeconds")
        grace = (
            meta_grace
            if meta_grace is not None
            else self.pod.get("spec", {}).get("terminationGracePeriodSeconds")
        )
        grace = 30 if grace is None else float(grace)
        return min(grace, self.node.options.termination_grace_cap_seconds)

    @staticmethod
    def container_port_list(container: dict[str, Any]) -> list[int]:
        """The ports a container serves: declared containerPorts, then numeric probe ports."""
        ports = [int(p["containerPort"]) for p in container.get("ports") or [] if "containerPort" in p]
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            probe = container.get(kind) or {}
            for handler in ("httpGet", "tcpSocket", "grpc"):
                port = (probe.get(handler) or {}).get("port")
                if isinstance(port, int) and port not in ports:
                    ports.append(port)
        return ports

    # ---------------------------------------------------------------- lifecycle
    def start(self, allocate_port: Any) -> None:
        """Create the sandbox (real local ports for the container ports) and start the containers."""
        for container in self.pod.get("spec", {}).get("containers") or []:
            for port in self.container_port_list(container):
                if port not in self.ports:
                    self.ports[port] = allocate_port()
        self._task = asyncio.create_task(self._run(), name=f"sim-pod-{self.namespace}-{self.name}")

    async def _run(self) -> None:
        self.publish()  # Pending, ContainerCreating, no IP yet
        await asyncio.sleep(0)
        self.sandbox_ready = True
        self.publish()
        for worker in self.init_workers:
            if not await worker.run():
                self.init_failed = True
                self.publish()
                return
        if self.has_init:
            self.initialized = True
            for worker in self.workers:
                worker.waiting("ContainerCreating")
        self._container_tasks = [
            asyncio.create_task(w.run(), name=f"sim-ctr-{self.name}-{w.name}") for w in self.workers
        ]
        await asyncio.gather(*self._container_tasks)

    async def terminate(self, grace: float) -> None:
        """Stop everything: no more restarts, then TERM/wait/KILL every running instance."""
        self.terminating = True
        tasks = [t for t in (self._task, *self._container_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(w.stop(grace) for w in self.all_workers), return_exceptions=True)

    def close_logs(self) -> None:
        """End every follower: the pod is gone."""
        for worker in self.all_workers:
            for instance in (worker.previous, worker.current):
                if instance is not None:
                    instance.log.close()

    # ------------------------------------------------------------------ status
    def phase(self) -> str:
        """The pod phase, computed like the kubelet's getPhase."""
        if self.init_failed:
            return "Failed"
        if not self.initialized:
            return "Pending"
        running = waiting = stopped = succeeded = 0
        for worker in self.workers:
            state = worker.state
            if "running" in state:
                running += 1
            elif "terminated" in state:
                stopped += 1
                succeeded += state["terminated"].get("exitCode") == 0
            elif worker.last_state.get("terminated"):
                stopped += 1
            else:
                waiting += 1
        if waiting:
            return "Pending"
        if running:
            return "Running"
        if not stopped:
            return "Pending"
        if self.restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if self.restart_policy == "Never" else "Running"

    def _condition(self, type_: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
        status = "True" if ok else "False"
        old = self._conditions.get(type_)
        cond: dict[str, Any] = {"type": type_, "status": status, "lastProbeTime": None}
        if not ok and reason:
            cond["reason"] = reason
        if not ok and message:
            cond["message"] = message
        if ok and reason == "PodCompleted":
            cond["reason"] = reason
        cond["lastTransitionTime"] = (
            old["lastTransitionTime"] if old and old["status"] == status else now_rfc3339()
        )
        self._conditions[type_] = cond
        return cond

    def build_status(self, stored: dict[str, Any] | None) -> dict[str, Any]:
        """The full pod status from the workers' state (PodScheduled kept from the scheduler)."""
        phase = self.phase()
        pending_init = [w.name for w in self.init_workers if "terminated" not in w.state]
        unready = [w.name for w in self.workers if not w.ready]
        done = phase in ("Succeeded", "Failed")
        ready_reason = "PodCompleted" if done else "ContainersNotReady"
        ready_message = "" if done else f"containers with unready status: [{' '.join(unready)}]"
        conditions = [
            self._condition("PodReadyToStartContainers", self.sandbox_ready and not done),
            self._condition(
                "Initialized",
                self.initialized,
                "ContainersNotInitialized",
                f"containers with incomplete status: [{' '.join(pending_init)}]",
            ),
            self._condition("Ready", not unready and not done, ready_reason, ready_message),
            self._condition("ContainersReady", not unready and not done, ready_reason, ready_message),
        ]
        for cond in (stored or {}).get("conditions") or []:
            if cond.get("type") == "PodScheduled":
                conditions.append(cond)
        host_ip = self.node.host_ip
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": conditions,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "startTime": self.start_time,
            "qosClass": self.qos,
        }
        if self.sandbox_ready:
            status["podIP"] = self.pod_ip
            status["podIPs"] = [{"ip": self.pod_ip}]
        if self.init_workers:
            status["initContainerStatuses"] = [w.status() for w in self.init_workers]
        status["containerStatuses"] = [w.status() for w in self.workers]
        return status
