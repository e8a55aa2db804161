"""The tilt stand-in's engine: load the Tiltfile, update resources in order, follow their pods,
forward their ports, and (for `tilt ci`) decide when the run is over (TILT.md §1.5, §2.3).

Resources are updated one at a time (Tilt runs up to 3 in parallel; one at a time keeps the same
order constraints). A resource waits — `waiting.reason` and `updateStatus: pending` — while the
`uncategorized` resource is not deployed (`waiting-for-uncategorized`) or while one of its
`resource_deps` is not ready (`waiting-for-dep`, `on` naming the dependency). A failed update is
recorded in the build history and `tilt up` keeps running; a trigger (`tilt trigger`, `POST
/api/trigger`) queues the resource again; new Tiltfile args (`tilt args`) reload the Tiltfile.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from devstack_sim.standins import apply, tiltci, tiltdeploy, tiltfile
from devstack_sim.standins.godur import format_duration
from devstack_sim.standins.tiltassembly import UNCATEGORIZED
from devstack_sim.standins.tiltforward import ResourceForwards
from devstack_sim.standins.tiltlog import TiltLog
from devstack_sim.standins.tiltmodel import K8sResource
from devstack_sim.standins.tiltpodlogs import PodLogs
from devstack_sim.standins.tiltstate import TILTFILE, Build, EngineState, ResourceState, targets
from devstack_sim.standins.tiltwatch import Watcher, changed_line

TICK = 0.25
WATCH_EVERY = 4  # ticks between looks at the watched files


@dataclass
class Options:
    """What the command line chose."""

    tiltfile: Path
    args: list[str]
    subcommand: str  # up | ci
    host: str
    cluster: tiltdeploy.Cluster
    home: Path
    ci_timeout: float = 0.0  # seconds, 0 = none
    readiness_timeout: float = 300.0


class Engine:
    """Runs one `tilt up` / `tilt ci` until `stop` is set (or, for ci, the session is done)."""

    def __init__(self, options: Options, state: EngineState, log: TiltLog, stop: threading.Event) -> None:
        self.o = options
        self.state = state
        self.log = log
        self.stop = stop
        self.loaded: tiltfile.Loaded | None = None
        self.resources: dict[str, K8sResource] = {}
        self.forwards: dict[str, ResourceForwards] = {}
        self.triggers: list[str] = []
        self.to_delete: list[str] = []
        self.new_args: list[str] | None = None
        self._kube: apply.Kube | None = None
        self.finished = threading.Event()
        self.fatal = ""  # an unexpected engine failure (exit 1)
        self.cluster_error = ""  # the last time the cluster could not be reached
        self.logs: dict[str, PodLogs] = {}
        self.watcher = Watcher(options.tiltfile.resolve().parent)
        self._ticks = 0

    @property
    def kube(self) -> apply.Kube:
        """The client of the allowed context (created on first use)."""
        if self._kube is None:
            self._kube = apply.Kube(self.o.cluster.kubeconfig, self.o.cluster.context)
        return self._kube

    def trigger(self, name: str) -> str:
        """Queue an update of `name`; returns "" or Tilt's refusal."""
        with self.state.lock:
            resource = self.state.get(name)
            if resource is None:
                return f'resource "{name}" does not exist'
            if resource.disabled:
                return f'resource "{name}" is currently disabled'
            resource.pending_since = resource.pending_since or time.time()
            self.triggers.append(name)
        return ""

    def set_args(self, args: list[str]) -> bool:
        """New Tiltfile args (reloads the Tiltfile); False when they are the same."""
        with self.state.lock:
            if args == self.o.args:
                return False
            self.new_args = list(args)
            return True

    def set_disabled(self, name: str, disabled: bool) -> str:
        """Disable (its objects are deleted, its forwards stopped) or enable (updated again) a
        resource, as the `<name>-disable` ConfigMap says; returns "" or the refusal."""
        with self.state.lock:
            resource = self.state.get(name)
            if resource is None or resource.kind != "k8s":
                return f'no such resource "{name}"'
            if resource.disabled != disabled:
                resource.disabled = disabled
                if disabled:
                    self.to_delete.append(name)
                else:
                    resource.pending_since = time.time()
                self.state.touch(resource)
        return ""

    def _delete_disabled(self) -> None:
        """Tear down what disabled resources applied (Tilt deletes a disabled resource's objects)."""
        while self.to_delete:
            name = self.to_delete.pop(0)
            resource = self.resources.get(name)
            if name in self.forwards:
                self.forwards.pop(name).stop()
            if resource is None:
                continue
            self.log.line(name, "Resource disabled: deleting its objects")
            tiltdeploy.delete(
                self.kube, resource, self.o.cluster.namespace, partial(self.log.line, name, level="ERROR")
            )
            with self.state.lock:
                state = self.state.resources.get(name)
                if state is not None:
                    state.deployed_at, state.pod, state.spec_hash = None, None, ""
                    self.state.touch(state)

    # -- the loop ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Load, then update and follow resources until stopped."""
        try:
            self._load()
            while not self.stop.is_set():
                if self.new_args is not None:
                    self.o.args, self.new_args = self.new_args, None
                    self._load()
                self._delete_disabled()
                self._follow_pods()
                self._ticks += 1
                if self.o.subcommand == "up" and self._ticks % WATCH_EVERY == 0:
                    self._watch_files()
                self._next_update()
                if self.o.subcommand == "ci" and self._ci_done():
                    return
                self.stop.wait(TICK)
        except Exception as err:  # noqa: BLE001 - Tilt's FatalError: `Error: ...`, exit 1
            self.fatal = f"{type(err).__name__}: {err}"
        finally:
            self.finished.set()

    def close(self) -> None:
        """Stop the forwards and release the client."""
        for forwards in list(self.forwards.values()):
            forwards.stop()
        for logs in list(self.logs.values()):
            logs.stop()
        if self._kube is not None:
            self._kube.close()

    def _load(self) -> None:
        tf = self.state.resources[TILTFILE]
        started = time.time()
        with self.state.lock:
            tf.current, tf.pending_since = started, None
            tf.build_count += 1
        self.log.raw("")
        self.log.line(TILTFILE, "Initial Build" if tf.build_count == 1 else "Tiltfile changed: reloading")
        error = ""
        try:
            loaded = tiltfile.load(self.o.tiltfile, self.o.args, self.o.cluster.context, self.o.subcommand)
        except tiltfile.TiltfileError as err:
            error = str(err)
            self.log.line(TILTFILE, f"Loading Tiltfile at: {self.o.tiltfile.resolve()}")
            self.log.line(TILTFILE, error, "ERROR")
        else:
            for line in loaded.logs:
                self.log.line(TILTFILE, line)
            for warning in loaded.warnings:
                self.log.line(TILTFILE, warning, "WARNING")
            self.log.line(
                TILTFILE, f"Successfully loaded Tiltfile ({format_duration(time.time() - started)})"
            )
            self._install(loaded)
        with self.state.lock:
            tf.current = None
            tf.builds.insert(0, Build(started, time.time(), error, f"tiltfile:update:{tf.build_count}"))
            del tf.builds[1:]
            self.state.touch(tf)

    def _install(self, loaded: tiltfile.Loaded) -> None:
        """Make (or refresh) a ResourceState per resource; new or changed ones are pending."""
        self.loaded = loaded
        if loaded.ci_settings:
            self.state.ci_spec.update(loaded.ci_settings)
        with self.state.lock:
            now = time.time()
            for order, resource in enumerate(loaded.assembled.resources, 2):
                previous = self.resources.get(resource.name)
                self.resources[resource.name] = resource
                state = self.state.resources.get(resource.name)
                if state is None:
                    state = ResourceState(resource.name, order, "k8s")
                    self.state.resources[resource.name] = state
                state.order = order
                state.labels = list(resource.labels)
                state.display_names = resource.display_names
                state.images = list(resource.images)
                state.has_pods = resource.workload is not None
                state.disabled = resource.name in loaded.assembled.disabled
                state.links = resource.endpoint_links(self.o.host)
                changed = (
                    previous is None
                    or previous.objects != resource.objects
                    or previous.images != resource.images
                )
                if changed and resource.auto_init and not state.disabled:
                    state.pending_since = now
                elif not changed:
                    self._ensure_forwards(resource, state)
                self.state.touch(state)
            gone = {r.name for r in loaded.assembled.resources}
            for name in [n for n in self.resources if n not in gone]:
                del self.resources[name]
                if name in self.forwards:
                    self.forwards.pop(name).stop()
            for name in [n for n in self.state.resources if n != TILTFILE and n not in self.resources]:
                del self.state.resources[name]

    def _pod_logs(self, name: str) -> PodLogs:
        if name not in self.logs:
            self.logs[name] = PodLogs(self.kube, lambda line: self.log.line(name, line))
        return self.logs[name]

    def _watch_files(self) -> None:
        """Reload on a Tiltfile change; queue the resources whose image sources changed."""
        watched = self.loaded.watched if self.loaded is not None else [self.o.tiltfile.resolve()]
        changes = self.watcher.changed("(Tiltfile)", watched)
        if changes:
            self.log.line(TILTFILE, changed_line(changes))
            self._load()
            return
        if self.loaded is None:
            return
        for image in self.loaded.assembled.images:
            changes = self.watcher.changed(image.ref, [image.context, image.dockerfile])
            if not changes:
                continue
            with self.state.lock:
                for resource in self.resources.values():
                    state = self.state.resources.get(resource.name)
                    if image.ref in resource.images and state is not None and not state.disabled:
                        self.log.line(resource.name, changed_line(changes))
                        state.pending_since = state.pending_since or time.time()
                        self.state.touch(state)

    def _ready(self, name: str) -> bool:
        state = self.state.resources.get(name)
        if state is None:
            return False
        runtime = state.runtime_status
        return state.update_status == "ok" and runtime in ("ok", "not_applicable")

    def _holds(self, resource: K8sResource) -> tuple[str, list[str]] | None:
        uncategorized = self.state.resources.get(UNCATEGORIZED)
        if resource.name != UNCATEGORIZED and uncategorized is not None and uncategorized.deployed_at is None:
            return "waiting-for-uncategorized", [UNCATEGORIZED]
        blocking = [dep for dep in resource.resource_deps if not self._ready(dep)]
        if blocking:
            return "waiting-for-dep", blocking
        return None

    def _next_update(self) -> None:
        """Update the first pending resource whose holds are clear (triggered ones first)."""
        with self.state.lock:
            order = sorted(self.resources.values(), key=lambda r: self.state.resources[r.name].order)
            queue = [self.resources[n] for n in self.triggers if n in self.resources] + order
            chosen = None
            for resource in queue:
                state = self.state.resources[resource.name]
                if state.pending_since is None or state.disabled:
                    continue
                hold = self._holds(resource)
                if state.waiting != hold:
                    state.waiting = hold
                    self.state.touch(state)
                if hold is None and chosen is None:
                    chosen = resource
            if chosen is None:
                return
            if chosen.name in self.triggers:
                self.triggers.remove(chosen.name)
            state = self.state.resources[chosen.name]
            state.current, state.pending_since, state.waiting = time.time(), None, None
            state.build_count += 1
            self.state.touch(state)
        self._update(chosen, state)

    def _update(self, resource: K8sResource, state: ResourceState) -> None:
        assert self.loaded is not None
        first = state.build_count == 1
        self.log.line(resource.name, "Initial Build" if first else f"Building: {resource.name}")
        images = {image.ref: image for image in self.loaded.assembled.images}
        error = ""
        spec_hash = ""
        try:
            spec_hash = tiltdeploy.update(
                self.o.home,
                self.kube,
                self.o.cluster,
                resource,
                images,
                lambda line: self.log.line(resource.name, line),
            )
        except tiltdeploy.UpdateError as err:
            error = str(err)
            self.log.line(resource.name, f"Build Failed: {error}", "ERROR")
        except Exception as err:  # noqa: BLE001 - the cluster did not answer (connection refused, timeout)
            error = _unreachable(err)
            self.cluster_error = error
            self.log.line(resource.name, f"Build Failed: {error}", "ERROR")
        with self.state.lock:
            finished = time.time()
            assert state.current is not None
            state.builds.insert(
                0, Build(state.current, finished, error, f"build:{resource.name}:{state.build_count}")
            )
            del state.builds[2:]
            state.current = None
            if not error:
                state.deployed_at = finished
                state.spec_hash = spec_hash
                state.pod = None  # the pods of this update are looked up again
            self.state.touch(state)
        if not error:
            self._ensure_forwards(resource, state)

    def _ensure_forwards(self, resource: K8sResource, state: ResourceState) -> None:
        """Forward the resource's ports once it is deployed; new specs replace the running ones."""
        running = self.forwards.get(resource.name)
        if running is not None and running.specs == resource.port_forwards:
            return
        if running is not None:
            running.stop()
            del self.forwards[resource.name]
        if not resource.port_forwards or resource.workload is None or state.deployed_at is None:
            return
        forwards = ResourceForwards(
            self.kube,
            resource.name,
            resource.workload,
            self.o.cluster.namespace,
            resource.port_forwards,
            self.o.host,
            lambda line: self.log.line(resource.name, line),
            lambda: state.spec_hash,
        )
        forwards.start()
        self.forwards[resource.name] = forwards

    def _follow_pods(self) -> None:
        """Refresh each deployed workload's pod (the runtime monitor)."""
        for resource in list(self.resources.values()):
            state = self.state.resources.get(resource.name)
            if state is None or state.deployed_at is None or resource.workload is None:
                continue
            try:
                pod = tiltdeploy.newest_pod(
                    self.kube, resource.workload, self.o.cluster.namespace, spec_hash=state.spec_hash
                )
            except Exception:  # noqa: BLE001 - the API may be briefly unreachable; Tilt's watch retries
                continue
            info = tiltdeploy.pod_info(pod) if pod is not None else None
            if pod is not None:
                self._pod_logs(resource.name).follow(pod)
            with self.state.lock:
                if info != state.pod:
                    restarted = info is not None and (
                        state.pod is None or info.restarts != state.pod.restarts
                    )
                    if info is not None and restarted and info.runtime == "error":
                        shown = f"Pod {info.name}: {info.status} {info.message}".strip()
                        self.log.line(resource.name, shown, "ERROR")
                    state.pod = info
                    self.state.touch(state)

    def _ci_done(self) -> bool:
        """`processExitCondition` (TILT.md §2.3): sets the session's done/error; True when over."""
        with self.state.lock:
            done, error = tiltci.verdict(
                targets(self.state),
                time.time() - self.state.start,
                self.o.ci_timeout,
                self.o.readiness_timeout,
                self.cluster_error,
            )
            if done:
                self.state.done, self.state.error = True, error
            return done


def _unreachable(err: Exception) -> str:
    """A one-line reason for a request the cluster did not answer."""
    reason = getattr(err, "reason", None) or err
    return f"connecting to the cluster: {reason}"
