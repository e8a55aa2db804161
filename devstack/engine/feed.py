"""The cluster feed of a run: the watches of one namespace and crash-log fetching, into the store."""

from __future__ import annotations

import threading
import time

from devstack.core import events as ev
from devstack.core.kube import PodInfo
from devstack.core.state import State
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError
from devstack.errors import DevstackError
from devstack.exitcodes import UNHEALTHY
from devstack.sources.kube import ClusterWatch, describe_error
from devstack.sources.kubeapi import KubeApi

SYNC_SECONDS = 30.0
"""How long the watches may take to list everything once."""


def cluster_error(ctx: EngineContext, err: BaseException) -> DevstackError:
    """What the user sees when a command cannot use the profile's cluster: a kubeconfig problem
    keeps its own message and exit code (2, naming the file); anything else is an unreachable
    cluster (exit 1)."""
    if isinstance(err, DevstackError):
        return err
    return DevstackError(
        f"cannot reach {ctx.context}: {describe_error(err)}", fix="devstack up", exit_code=UNHEALTHY
    )


class CrashLogFetcher:
    """Fetches the previous log of a container each time it crashes (for the explanation).

    A fetch that fails or finds no line yet (a busy API server, a log not flushed yet) is tried
    again `RETRY_AFTER` seconds later, at most `ATTEMPTS` times per crash, whether or not the
    state changes meanwhile (a pod in back-off may not change for minutes).
    """

    ATTEMPTS = 8
    RETRY_AFTER = 2.0

    def __init__(self, ctx: EngineContext, api: KubeApi):
        self._ctx = ctx
        self._api = api
        self._started: set[tuple[str, str, int]] = set()  # (pod, container, restart count)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._unsubscribe = ctx.store.subscribe(lambda state, event: self._on_change(state), latest_only=True)

    def _on_change(self, state: State) -> None:
        for pod in state.pods.values():
            for container in pod.containers:
                if container.last_exit_code is None or container.restart_count == 0:
                    continue
                key = (pod.key, container.name, container.restart_count)
                with self._lock:
                    if key in self._started or self._closed.is_set():
                        continue
                    self._started.add(key)
                threading.Thread(target=self._fetch, args=(pod, container.name), daemon=True).start()

    def _fetch(self, pod: PodInfo, container: str) -> None:
        for attempt in range(self.ATTEMPTS):
            if attempt and self._closed.wait(self.RETRY_AFTER):
                return
            try:
                lines = self._api.logs(pod.name, container, previous=True, tail=20)
            except Exception:  # noqa: BLE001 - a missing previous log is normal; try again shortly
                continue
            if lines or attempt == self.ATTEMPTS - 1:
                self._ctx.store.dispatch(ev.PodLogsFetched(pod.key, container, True, tuple(lines)))
            if lines:
                return

    def close(self) -> None:
        """Stop reacting to changes and stop retrying."""
        self._closed.set()
        self._unsubscribe()


class ClusterFeed:
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

    def wait_synced(self, timeout: float = SYNC_SECONDS) -> None:
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


def start_feed(ctx: EngineContext, feed: ClusterFeed, progress: Progress) -> str:
    """The context step: the target context answers, and the watches run against it."""
    progress(f"watching namespace {ctx.target.namespace} in {ctx.context}")
    try:
        version = feed.api.server_version()
    except Exception as err:  # noqa: BLE001 - reported as the step's failure
        raise StepError(f"{ctx.context} does not answer: {describe_error(err)}") from None
    ctx.store.dispatch(ev.ApiStatus(True, at=time.time(), server_version=version))
    feed.start()
    feed.wait_synced(ctx.remaining(SYNC_SECONDS))
    return f"{ctx.context} ({version}), namespace {ctx.target.namespace}"
