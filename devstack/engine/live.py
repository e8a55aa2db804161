"""Live cluster state for a run: the watches, crash-log fetching, and waiting for readiness."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from devstack.core import events as ev
from devstack.core.health import Explanation, explain_deployment, worst
from devstack.core.kube import PodInfo
from devstack.core.model import Level
from devstack.core.state import State
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError
from devstack.sources.kube import ClusterWatch, describe_error
from devstack.sources.kubeapi import KubeApi


def cluster_name(ctx: EngineContext) -> str:
    """The kind cluster's name (for `kind load` hints), "" for existing clusters."""
    return ctx.profile.cluster.name if ctx.profile.cluster.provider == "kind" else ""


def workload_verdicts(state: State, cluster: str = "") -> list[tuple[str, Explanation]]:
    """(deployment name, explanation) for every Deployment, sorted by name."""
    return [
        (d.name, explain_deployment(state, d, cluster))
        for d in sorted(state.deployments.values(), key=lambda d: d.name)
    ]


class CrashLogFetcher:
    """Fetches the previous log of a container each time it crashes (for the explanation)."""

    def __init__(self, ctx: EngineContext, api: KubeApi):
        self._ctx = ctx
        self._api = api
        self._seen: set[tuple[str, str, int]] = set()
        self._lock = threading.Lock()
        self._unsubscribe = ctx.store.subscribe(lambda state, event: self._on_change(state))

    def _on_change(self, state: State) -> None:
        for pod in state.pods.values():
            for container in pod.containers:
                if container.last_exit_code is None or container.restart_count == 0:
                    continue
                key = (pod.key, container.name, container.restart_count)
                with self._lock:
                    if key in self._seen:
                        continue
                    self._seen.add(key)
                threading.Thread(target=self._fetch, args=(pod, container.name), daemon=True).start()

    def _fetch(self, pod: PodInfo, container: str) -> None:
        try:
            lines = self._api.logs(pod.name, container, previous=True, tail=20)
        except Exception:  # noqa: BLE001 - a missing previous log is normal; the explanation copes
            return
        self._ctx.store.dispatch(ev.PodLogsFetched(pod.key, container, True, tuple(lines)))

    def close(self) -> None:
        """Stop reacting to changes."""
        self._unsubscribe()


class LiveState:
    """Watches + crash logs for one namespace, started once the cluster answers."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx
        self.api = KubeApi(ctx.target)
        self.watch = ClusterWatch(ctx.target, ctx.store.dispatch)
        self.logs: CrashLogFetcher | None = None

    def start(self) -> None:
        """Begin watching (the client import and TLS set-up happen here, not at start-up)."""
        self.watch.start(self.api.client)
        self.logs = CrashLogFetcher(self.ctx, self.api)

    def wait_synced(self, timeout: float = 30) -> None:
        """Until every watch has listed once."""
        deadline = time.monotonic() + timeout
        while any(w.resource_version is None for w in self.watch.watchers):
            if time.monotonic() > deadline:
                raise StepError(f"could not list objects in namespace {self.ctx.target.namespace}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop watching and release the client."""
        if self.logs is not None:
            self.logs.close()
        self.watch.stop()
        self.api.close()


def start_live(ctx: EngineContext, live: LiveState, progress: Progress) -> str:
    """The context step: the target context answers, and the watches run against it."""
    progress(f"watching namespace {ctx.target.namespace} in {ctx.context}")
    try:
        version = live.api.server_version()
    except Exception as err:  # noqa: BLE001 - reported as the step's failure
        raise StepError(f"{ctx.context} does not answer: {describe_error(err)}") from None
    ctx.store.dispatch(ev.ApiStatus(True, at=time.time(), server_version=version))
    live.start()
    live.wait_synced()
    return f"{ctx.context} ({version}), namespace {ctx.target.namespace}"


def wait_ready(ctx: EngineContext, progress: Progress, timeout: float) -> str:
    """Until every Deployment is ready; on timeout, fail with the explanations."""
    deadline = time.monotonic() + timeout
    cluster = cluster_name(ctx)
    while True:
        verdicts = workload_verdicts(ctx.store.state, cluster)
        not_ready = [(name, v) for name, v in verdicts if v.level is not Level.OK]
        if verdicts and not not_ready:
            return f"{len(verdicts)} workload(s) ready: " + ", ".join(name for name, _ in verdicts)
        if not_ready:
            progress("; ".join(f"{name}: {v.reason}" for name, v in not_ready))
        failing = [(n, v) for n, v in not_ready if v.level is Level.ERROR]
        if time.monotonic() > deadline or (failing and _settled(failing)):
            raise StepError(_summary(not_ready or [], verdicts), fix=_fix(not_ready))
        time.sleep(0.2)


def settle(ctx: EngineContext, timeout: float = 15.0) -> None:
    """After a failed deploy: give failing workloads a few seconds to reach a verdict that explains
    them (a container that crashed once is only `CrashLoopBackOff` after its next crash)."""
    deadline = time.monotonic() + timeout
    cluster = cluster_name(ctx)
    while time.monotonic() < deadline:
        not_ok = [(n, v) for n, v in workload_verdicts(ctx.store.state, cluster) if v.level is not Level.OK]
        if not not_ok or _settled(not_ok):
            return
        time.sleep(0.2)


def _settled(failing: Iterable[tuple[str, Explanation]]) -> bool:
    """Failures that will not heal by waiting (crash loops, bad images, missing config)."""
    final = {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "OOMKilled",
        "InvalidImageName",
        "CreateContainerConfigError",
        "ProgressDeadlineExceeded",
        "Unschedulable",
    }
    return all(v.reason in final for _, v in failing)


def _summary(not_ready: list[tuple[str, Explanation]], verdicts: list[tuple[str, Explanation]]) -> str:
    if not verdicts:
        return "no Deployment appeared in the namespace"
    level = worst(v.level for _, v in not_ready)
    return f"{len(not_ready)} workload(s) not ready ({level.value}): " + "; ".join(
        f"{name}: {v.reason}" for name, v in not_ready
    )


def _fix(not_ready: list[tuple[str, Explanation]]) -> str:
    actions = [v.action for _, v in not_ready if v.action]
    return actions[0] if actions else "`devstack status` shows every pod"
