"""Following a container's log (`kubectl logs -f`) through the official client, in batches.

`read_namespaced_pod_log(follow=True, _preload_content=False)` is read in a reader thread; lines
are handed to the caller in batches (at most every `interval` seconds) so a chatty container
cannot flood a UI. When the container exits the stream ends; the follower waits and follows the
next instance (a crash-looping container) until cancelled.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from devstack.core.loglines import NOTICE
from devstack.sources.backoff import Backoff
from devstack.sources.kube import KubeTarget, describe_error, iter_lines

OnLines = Callable[[list[str]], None]
END = object()
READ_TIMEOUT = 24 * 3600  # a quiet container is normal; `cancel` ends the wait, not this


class LogFollower:
    """Follows one container until `cancel` is set; `on_lines` gets batches of decoded lines."""

    def __init__(
        self,
        api_client: Any,
        target: KubeTarget,
        pod: str,
        container: str,
        on_lines: OnLines,
        cancel: threading.Event,
        *,
        tail: int = 200,
        interval: float = 0.1,
        max_batch: int = 500,
        retry: float = 1.0,
        timestamps: bool = False,
    ):
        self._client = api_client
        self._target = target
        self.pod = pod
        self.container = container
        self._on_lines = on_lines
        self._cancel = cancel
        self._tail = tail
        self._interval = interval
        self._max_batch = max_batch
        self._retry = retry
        self._timestamps = timestamps
        self._finish = threading.Event()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._response: Any = None
        self.streams = 0
        self._last_notice = ""

    def run(self) -> None:
        """Follow (and re-follow after the container restarts) until cancelled."""
        backoff = Backoff(initial=self._retry, cap=8.0)
        ended_at: float | None = None
        while not self._cancel.is_set():
            since = None if ended_at is None else math.ceil(time.monotonic() - ended_at) + 1
            reader = threading.Thread(target=self._read, args=(since,), name="log-follow", daemon=True)
            reader.start()
            got_lines = self._deliver_until_end()
            reader.join(timeout=5)
            ended_at = time.monotonic()
            if got_lines:
                backoff.reset()
            if self._finish.is_set() or self._cancel.wait(backoff.next()):
                break

    def finish(self) -> None:
        """Stop after the current stream ends (the pod is gone: its last lines still arrive)."""
        self._finish.set()

    def _open(self, since: int | None) -> Any:
        from kubernetes import client

        kwargs: dict[str, Any] = {"since_seconds": since} if since else {"tail_lines": self._tail}
        if self._timestamps:
            kwargs["timestamps"] = True
        api: Any = client.CoreV1Api(self._client)
        return api.read_namespaced_pod_log(
            self.pod,
            self._target.namespace,
            container=self.container,
            follow=True,
            _preload_content=False,
            _request_timeout=(5, READ_TIMEOUT),
            **kwargs,
        )

    def _read(self, since: int | None) -> None:
        try:
            response = self._open(since)
            self.streams += 1
            self._response = response
            try:
                for raw in iter_lines(response):
                    if self._cancel.is_set():
                        break
                    self._queue.put(raw.decode("utf-8", errors="replace").rstrip("\r"))
            finally:
                self._response = None
                with contextlib.suppress(Exception):
                    response.release_conn()
            if not self._cancel.is_set():
                self._queue.put(f"{NOTICE} {self.pod}/{self.container}: log stream ended (container exited?)")
        except Exception as err:  # noqa: BLE001 - any failure is shown in the log pane, then retried
            if not self._cancel.is_set():
                self._queue.put(f"{NOTICE} cannot follow {self.pod}/{self.container}: {describe_error(err)}")
        finally:
            self._queue.put(END)

    def _deliver_until_end(self) -> bool:
        """Hand queued lines to `on_lines` at most once per `interval` until the reader ends.

        Returns whether the stream carried any log line (a repeated notice does not count, and is
        shown once).
        """
        ended, got_lines = False, False
        while not ended:
            if self._cancel.is_set():
                self._abort()
                self._drain_to_end()
                return got_lines
            try:
                first = self._queue.get(timeout=self._interval)
            except queue.Empty:
                continue
            batch, ended = self._collect(first, time.monotonic() + self._interval)
            notices = [line for line in batch if line.startswith(NOTICE)]
            got_lines = got_lines or len(notices) < len(batch)
            batch = [line for line in batch if not line.startswith(NOTICE) or self._new_notice(line)]
            if batch and not self._cancel.is_set():
                self._on_lines(batch)
        return got_lines

    def _new_notice(self, line: str) -> bool:
        fresh = line != self._last_notice
        self._last_notice = line
        return fresh

    def _collect(self, item: object, deadline: float) -> tuple[list[str], bool]:
        """Lines from `item` on until `deadline`, `max_batch` lines, or the end of the stream."""
        batch: list[str] = []
        while item is not END:
            batch.append(str(item))
            remaining = deadline - time.monotonic()
            if len(batch) >= self._max_batch or remaining <= 0 or self._cancel.is_set():
                return batch, False
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                return batch, False
        return batch, True

    def _abort(self) -> None:
        response = self._response
        if response is not None:
            with contextlib.suppress(Exception):
                response.shutdown() if hasattr(response, "shutdown") else response.close()

    def _drain_to_end(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(queue.Empty):
            while self._queue.get(timeout=timeout) is not END:
                pass


def follow_logs(
    api_client: Any,
    target: KubeTarget,
    pod: str,
    container: str,
    on_lines: OnLines,
    cancel: threading.Event,
    tail: int = 200,
) -> None:
    """Follow a container's log until `cancel` is set (blocking; run it in a worker thread)."""
    LogFollower(api_client, target, pod, container, on_lines, cancel, tail=tail).run()
