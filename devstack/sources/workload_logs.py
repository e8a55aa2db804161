"""Logs of every pod a selector picks (a Deployment's pods, or one pod), interleaved in time order.

Following (`follow=True`): a pods watch with the selector starts a `LogFollower` (timestamps on) for
each container once it has started, and lets a follower finish when its pod is deleted: the stream
ends when the container exits, so the pod's last lines still arrive; a follower still open
`FINISH_GRACE` seconds after its pod went away is cancelled. New pods (a rollout, a crash
replacement) are picked up as they appear. Without following, each container's log is read once
(the previous instance's with `previous=True`) and all lines are handed over merged in time order.
Lines reach `on_lines` as `LogLine`s in batches, from worker threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devstack.core import events as ev
from devstack.core.kube import PodInfo
from devstack.core.loglines import NOTICE, LogLine, merged, notice, parse_line
from devstack.sources.kube import CALL_TIMEOUT, KindWatcher, KubeTarget, describe_error, list_call
from devstack.sources.logs import LogFollower

OnLogLines = Callable[[list[LogLine]], None]
FINISH_GRACE = 30.0


@dataclass
class _Follow:
    follower: LogFollower
    cancel: threading.Event
    thread: threading.Thread
    finished_at: float | None = None


@dataclass
class LogSelection:
    """Which pods and containers, and how."""

    selector: dict[str, str] = field(default_factory=dict)
    """`label_selector` / `field_selector` arguments of the pods list."""
    container: str | None = None
    previous: bool = False
    tail: int = 200


class WorkloadLogs:
    """Runs until `cancel` is set (following) or until every log was read once (`read_once`)."""

    def __init__(
        self,
        api_client: Any,
        target: KubeTarget,
        selection: LogSelection,
        on_lines: OnLogLines,
        cancel: threading.Event,
    ):
        self._client = api_client
        self._target = target
        self._selection = selection
        self._on_lines = on_lines
        self._cancel = cancel
        self._follows: dict[tuple[str, str], _Follow] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ once
    def read_once(self) -> list[LogLine]:
        """Every selected container's log (tail, or the previous instance), merged in time order."""
        from kubernetes import client

        api: Any = client.CoreV1Api(self._client)
        pods = self._list_pods()
        lines: list[LogLine] = []
        for pod in sorted(pods, key=lambda p: p.name):
            for container in self._containers(pod, started_only=False):
                try:
                    text = api.read_namespaced_pod_log(
                        pod.name,
                        self._target.namespace,
                        container=container,
                        previous=self._selection.previous,
                        timestamps=True,
                        tail_lines=self._selection.tail,
                        _request_timeout=CALL_TIMEOUT,
                    )
                except Exception as err:  # noqa: BLE001 - one container without a log does not stop the rest
                    lines.append(notice(f"{pod.name}/{container}: {_api_message(err)}"))
                    continue
                lines += [parse_line(raw, pod.name, container) for raw in str(text).splitlines()]
        return merged(lines)

    def _list_pods(self) -> list[PodInfo]:
        import json

        from devstack.core.kubedecode import pod_info

        response = list_call(self._client, "pods", self._target.namespace)(
            _request_timeout=CALL_TIMEOUT, **self._selection.selector
        )
        try:
            body = json.loads(response.data)
        finally:
            response.release_conn()
        return [pod_info(item) for item in body.get("items") or []]

    # ------------------------------------------------------------------ follow
    def follow(self) -> None:
        """Follow until `cancel` is set (blocking: run it in a worker thread)."""
        stop = threading.Event()
        watcher = KindWatcher(
            self._client,
            "pods",
            self._target.namespace,
            self._on_pod_event,
            stop,
            query=self._selection.selector,
        )
        thread = threading.Thread(target=watcher.run, name="logs-pods", daemon=True)
        thread.start()
        try:
            while not self._cancel.wait(1.0):
                self._expire_finished()
        finally:
            stop.set()
            watcher.abort()
            thread.join(timeout=5)
            with self._lock:
                follows = list(self._follows.values())
                self._follows.clear()
            for follow in follows:
                follow.cancel.set()
            for follow in follows:
                follow.thread.join(timeout=5)

    def _on_pod_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.KubeSynced):
            pods = {item.name: item for item in event.items if isinstance(item, PodInfo)}
            with self._lock:
                gone = [key for key in self._follows if key[0] not in pods]
            for key in gone:
                self._finish(key)
            for pod in pods.values():
                self._start(pod)
        elif isinstance(event, ev.KubeChanged) and isinstance(event.item, PodInfo):
            if event.change == "DELETED":
                for key in [k for k in list(self._follows) if k[0] == event.item.name]:
                    self._finish(key)
            else:
                self._start(event.item)

    def _containers(self, pod: PodInfo, started_only: bool) -> list[str]:
        wanted = self._selection.container
        names = []
        for container in pod.containers:
            if container.init or (wanted and container.name != wanted):
                continue
            if started_only and container.state == "waiting" and not container.restart_count:
                continue
            names.append(container.name)
        return names

    def _start(self, pod: PodInfo) -> None:
        for container in self._containers(pod, started_only=True):
            key = (pod.name, container)
            with self._lock:
                if key in self._follows or self._cancel.is_set():
                    continue
                cancel = threading.Event()
                follower = LogFollower(
                    self._client,
                    self._target,
                    pod.name,
                    container,
                    self._deliver(pod.name, container),
                    cancel,
                    tail=self._selection.tail,
                    timestamps=True,
                )
                thread = threading.Thread(target=follower.run, name="log-follow", daemon=True)
                self._follows[key] = _Follow(follower, cancel, thread)
            thread.start()

    def _finish(self, key: tuple[str, str]) -> None:
        with self._lock:
            follow = self._follows.get(key)
            if follow is not None and follow.finished_at is None:
                follow.finished_at = time.monotonic()
                follow.follower.finish()

    def _expire_finished(self) -> None:
        now = time.monotonic()
        with self._lock:
            for key, follow in list(self._follows.items()):
                done = not follow.thread.is_alive()
                late = follow.finished_at is not None and now - follow.finished_at > FINISH_GRACE
                if done or late:
                    follow.cancel.set()
                    del self._follows[key]

    def _deliver(self, pod: str, container: str) -> Callable[[list[str]], None]:
        """The follower's callback: parse, drop what a re-opened stream repeats, hand on."""
        last = (0, 0)

        def deliver(raw_lines: list[str]) -> None:
            nonlocal last
            batch = []
            for raw in raw_lines:
                if raw.startswith(NOTICE):
                    batch.append(notice(raw[len(NOTICE) :].strip()))
                    continue
                line = parse_line(raw, pod, container)
                if line.order != (0, 0):
                    if line.order <= last:
                        continue  # already shown: a re-opened stream starts a little before the last line
                    last = line.order
                batch.append(line)
            if batch and not self._cancel.is_set():
                self._on_lines(batch)

        return deliver


def _api_message(err: BaseException) -> str:
    """The `message` of an API error's Status body, else a short description."""
    import json

    body = getattr(err, "body", None)
    if body:
        try:
            message = json.loads(body).get("message")
        except (ValueError, AttributeError):
            message = None
        if message:
            return str(message)
    return describe_error(err)
