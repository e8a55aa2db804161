"""The kubelet's work for one container: pull, configure, start, probe, restart with back-off."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from typing import TYPE_CHECKING, Any

from . import pulls
from .context import go_duration
from .envs import ConfigError, expand
from .events import KUBELET, NORMAL, WARNING
from .execs import ExecProcess
from .images import ImageSpec
from .probes import ProbeLoop, ProbeTarget
from .process import ExitInfo, Instance, NoopInstance, ProcessInstance

if TYPE_CHECKING:
    from .podworker import PodWorker

_BASE_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


class ContainerWorker:
    """One container of a pod: its status fields and the loop that keeps it running."""

    def __init__(self, pod: PodWorker, spec: dict[str, Any], init: bool):
        self.pod = pod
        self.spec = spec
        self.name = str(spec.get("name", ""))
        self.image = str(spec.get("image", ""))
        self.init = init
        self.field_path = f"spec.{'initContainers' if init else 'containers'}{{{self.name}}}"
        self.restart_count = 0
        waiting = "PodInitializing" if (pod.has_init and not init) else "ContainerCreating"
        self.state: dict[str, Any] = {"waiting": {"reason": waiting}}
        self.last_state: dict[str, Any] = {}
        self.ready = False
        self.started = False
        self.image_id = ""
        self.current: Instance | None = None
        self.previous: Instance | None = None
        self.env: dict[str, str] = {}
        self.image_spec: ImageSpec | None = None
        self.execs: set[ExecProcess] = set()
        self._wake = asyncio.Event()
        self._backoff = 0.0
        self._killer: asyncio.Task[ExitInfo] | None = None

    # ------------------------------------------------------------------ status
    def status(self) -> dict[str, Any]:
        """This container's entry of `containerStatuses` / `initContainerStatuses`."""
        status: dict[str, Any] = {
            "name": self.name,
            "image": pulls.reported_image(self.image) if self.image_id else self.image,
            "imageID": self.image_id,
            "ready": self.ready,
            "started": self.started,
            "restartCount": self.restart_count,
            "state": self.state,
            "lastState": self.last_state,
        }
        if self.current is not None:
            status["containerID"] = self.current.container_id
        return status

    def set_state(self, state: dict[str, Any]) -> None:
        """Replace the current state and publish the pod's status."""
        self.state = state
        self.pod.publish()

    def waiting(self, reason: str, message: str = "") -> None:
        """Enter `state.waiting` with a reason (and message)."""
        block = {"reason": reason, "message": message} if message else {"reason": reason}
        self.set_state({"waiting": block})

    def event(self, type_: str, reason: str, message: str) -> None:
        """Record an event about this container (fieldPath set)."""
        self.pod.node.events.record(self.pod.pod, type_, reason, message, KUBELET, self.field_path)

    def log_instance(self, previous: bool) -> Instance | None:
        """The instance whose log `kubectl logs [--previous]` shows, as the kubelet picks it.

        `previous` is the container named by `lastState.terminated`; otherwise the running one,
        else the one that just terminated (e.g. during CrashLoopBackOff).
        """
        last = (self.last_state.get("terminated") or {}).get("containerID")
        if previous:
            wanted = last
        elif "running" in self.state and self.current is not None:
            return self.current
        elif "terminated" in self.state:
            wanted = self.state["terminated"].get("containerID") or last
        else:
            wanted = last
        for instance in (self.current, self.previous):
            if instance is not None and wanted and instance.container_id == wanted:
                return instance
        return None

    def config_changed(self) -> None:
        """A Secret or ConfigMap of the namespace changed: retry a blocked configuration now."""
        self._wake.set()

    # ---------------------------------------------------------------- the loop
    async def run(self) -> bool:
        """Keep the container going; returns whether it ended well (exit 0) when it stops for good."""
        while True:
            spec = await pulls.pull(self)
            env = await self._configure(spec)
            await asyncio.sleep(self.pod.node.options.container_create_seconds)
            started = time.monotonic()
            exit_info = await self._start_and_supervise(spec, env)
            ran_for = time.monotonic() - started
            self.ready = False
            self.started = False
            if not self._restarts(exit_info.exit_code):
                if exit_info.exit_code == 0 and self.init:
                    self.ready = True
                self.set_state({"terminated": exit_info.terminated()})
                return exit_info.exit_code == 0
            await self._back_off(exit_info, ran_for)

    def _restarts(self, exit_code: int) -> bool:
        policy = self.pod.restart_policy
        if self.init and exit_code == 0:
            return False
        return policy == "Always" or (policy == "OnFailure" and exit_code != 0)

    async def _back_off(self, exit_info: ExitInfo, ran_for: float) -> None:
        options = self.pod.node.options
        terminated = {"terminated": exit_info.terminated()}
        self.restart_count += 1
        self.last_state = terminated
        if ran_for >= 10 * options.backoff_base_seconds:
            self._backoff = 0.0  # it ran well for a while: forget the crash history
        # The kubelet restarts at once after the first exit, then backs off: base, 2×base, … cap.
        delay = self._backoff
        self._backoff = (
            options.backoff_base_seconds
            if not self._backoff
            else min(self._backoff * 2, options.backoff_cap_seconds)
        )
        if delay <= 0:
            self.set_state(terminated)
            return
        pod = self.pod
        self.waiting(
            "CrashLoopBackOff",
            f"back-off {go_duration(delay)} restarting failed container={self.name} pod={pod.ref}",
        )
        self.event(WARNING, "BackOff", f"Back-off restarting failed container {self.name} in pod {pod.ref}")
        await asyncio.sleep(delay)

    async def _configure(self, spec: ImageSpec) -> dict[str, str]:
        delay = self.pod.node.options.backoff_base_seconds
        while True:
            try:
                resolved = self.pod.env_resolver().resolve(self.spec)
            except ConfigError as exc:
                self.waiting("CreateContainerConfigError", str(exc))
                self.event(WARNING, "Failed", f"Error: {exc}")
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                delay = min(delay * 2, self.pod.node.options.backoff_cap_seconds)
                continue
            return self._process_env(spec, resolved)

    def _process_env(self, spec: ImageSpec, resolved: dict[str, str]) -> dict[str, str]:
        env = {key: os.environ[key] for key in _BASE_ENV_KEYS if key in os.environ}
        env.update(spec.env)
        env.update(resolved)
        pod = self.pod
        env.update({"HOST": "127.0.0.1", "HOSTNAME": pod.name, "POD_NAME": pod.name})
        own = pod.container_port_list(self.spec)
        if own:
            env["PORT"] = str(pod.ports[own[0]])
        for container_port, real in pod.ports.items():
            env[f"PORT_{container_port}"] = str(real)
        return env

    async def _start_and_supervise(self, spec: ImageSpec, env: dict[str, str]) -> ExitInfo:
        args = self.spec.get("args")
        argv = list(spec.command) + [expand(str(a), env) for a in (args if args is not None else spec.args)]
        self.event(NORMAL, "Created", f"Created container: {self.name}")
        try:
            if spec.noop:
                instance: Instance = NoopInstance()
            else:
                instance = await ProcessInstance.spawn(argv, spec.cwd, env)
        except OSError as exc:
            failed = NoopInstance()
            message = (
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                f'runc create failed: unable to start container process: exec: "{argv[0]}": {exc.strerror}'
            )
            self.event(WARNING, "Failed", f"Error: {message}")
            self._adopt(failed)
            failed.force_exit(128, "StartError")
            info = await failed.wait()
            return ExitInfo(128, "StartError", info.started_at, info.finished_at, info.container_id, message)
        self.env = env
        self.image_spec = spec
        self._adopt(instance)
        self.event(NORMAL, "Started", f"Started container {self.name}")
        self.state = {"running": {"startedAt": instance.started_at}}
        prober = asyncio.create_task(
            self._probe(instance, spec), name=f"sim-probe-{self.pod.name}-{self.name}"
        )
        try:
            return await instance.wait()
        finally:
            for session in list(self.execs):  # the container's end ends its exec sessions
                session.kill()
            prober.cancel()
            if self._killer is not None:
                self._killer.cancel()
                self._killer = None
            await asyncio.gather(prober, return_exceptions=True)

    def _adopt(self, instance: Instance) -> None:
        if self.current is not None:
            self.previous = self.current
        self.current = instance

    # ------------------------------------------------------------------ probes
    async def _probe(self, instance: Instance, spec: ImageSpec) -> None:
        probes: dict[str, dict[str, Any]] = {
            kind: self.spec[f"{kind}Probe"]
            for kind in ("startup", "readiness", "liveness")
            if self.spec.get(f"{kind}Probe")
        }
        if spec.noop or self.init:
            probes = {}  # nothing listens in a processless container; init containers are not probed
        target = ProbeTarget(
            pod_ip=self.pod.pod_ip,
            ports=dict(self.pod.ports),
            named_ports=self.pod.named_ports,
            cwd=spec.cwd,
            env=self.env,
        )
        cap = self.pod.node.options.probe_period_cap_seconds
        if probes.get("startup"):
            outcome: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

            def startup_result(ok: bool) -> None:
                if not outcome.done():
                    outcome.set_result(ok)

            loop = ProbeLoop(
                "Startup", probes["startup"], target, cap, startup_result, self._probe_failed("Startup")
            )
            task = asyncio.create_task(loop.run())
            try:
                if not await outcome:
                    self._kill_for_probe(instance, "startup")
                    return
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self.started = True
        if not probes.get("readiness"):
            self.ready = not self.init
        self.pod.publish()
        loops = []
        if probes.get("readiness"):
            loops.append(
                ProbeLoop(
                    "Readiness",
                    probes["readiness"],
                    target,
                    cap,
                    self._readiness,
                    self._probe_failed("Readiness"),
                )
            )
        if probes.get("liveness"):

            def liveness(ok: bool) -> None:
                if not ok:
                    self._kill_for_probe(instance, "liveness")

            loops.append(
                ProbeLoop(
                    "Liveness", probes["liveness"], target, cap, liveness, self._probe_failed("Liveness")
                )
            )
        await asyncio.gather(*(loop.run() for loop in loops))

    def _readiness(self, ok: bool) -> None:
        if ok != self.ready:
            self.ready = ok
            self.pod.publish()

    def _probe_failed(self, kind: str) -> Any:
        def report(message: str) -> None:
            self.event(WARNING, "Unhealthy", f"{kind} probe failed: {message}")

        return report

    def _kill_for_probe(self, instance: Instance, kind: str) -> None:
        if self._killer is not None or instance.done:
            return
        self.event(NORMAL, "Killing", f"Container {self.name} failed {kind} probe, will be restarted")
        self._killer = asyncio.create_task(instance.stop(self.pod.grace_seconds()))

    # ------------------------------------------------------------------ faults
    async def stop(self, grace: float) -> None:
        """Stop the running instance for pod termination (TERM, wait, KILL)."""
        instance = self.current
        if instance is None or instance.done:
            return
        self.event(NORMAL, "Killing", f"Stopping container {self.name}")
        exit_info = await instance.stop(grace)
        self.ready = False
        self.started = False
        self.state = {"terminated": exit_info.terminated()}
