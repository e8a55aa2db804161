"""Pod logs in the tilt stand-in's stream: like Tilt, `tilt up`/`ci` print each resource's container
output with the resource's prefix (TILT.md §1.3: stream mode prints all log lines of all resources).

One follower per container instance (pod, container, restart count): it streams
`GET .../pods/POD/log?follow=true&container=C` through the official client until the instance ends;
the engine starts the next one when it sees the container restarted or the pod replaced. A pod with
several containers gets `[container]` before each line (Tilt's container prefix).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from devstack_sim.standins.apply import Kube

Log = Callable[[str], None]


class PodLogs:
    """The log followers of one resource."""

    def __init__(self, kube: Kube, log: Log) -> None:
        self.kube = kube
        self.log = log
        self._following: set[tuple[str, str, int]] = set()
        self._streams: list[Any] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def follow(self, pod: dict[str, Any]) -> None:
        """Follow every running container instance of `pod` not followed yet."""
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        statuses = list(status.get("containerStatuses") or [])
        for container in statuses:
            state = container.get("state") or {}
            if not (state.get("running") or state.get("terminated")):
                continue
            key = (str(meta.get("name")), str(container.get("name")), int(container.get("restartCount") or 0))
            with self._lock:
                if key in self._following or self._stopped.is_set():
                    continue
                self._following.add(key)
            prefix = f"[{key[1]}] " if len(statuses) > 1 else ""
            namespace = str(meta.get("namespace"))
            threading.Thread(target=self._stream, args=(namespace, key, prefix), daemon=True).start()

    def _stream(self, namespace: str, key: tuple[str, str, int], prefix: str) -> None:
        from kubernetes import client

        core = client.CoreV1Api(self.kube.client)
        response: Any
        try:
            response = core.read_namespaced_pod_log(
                key[0], namespace, container=key[1], follow=True, _preload_content=False
            )
        except Exception:  # noqa: BLE001 - a pod that went away has no log to follow
            return
        with self._lock:
            self._streams.append(response)
        pending = b""
        try:
            for chunk in response.stream(4096):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.log(prefix + line.decode(errors="replace"))
        except Exception:  # noqa: BLE001 - the stream ends with the container or on stop
            return
        finally:
            if pending:
                self.log(prefix + pending.decode(errors="replace"))
            with contextlib.suppress(Exception):
                response.release_conn()

    def stop(self) -> None:
        """Close every stream."""
        self._stopped.set()
        with self._lock:
            for response in self._streams:
                with contextlib.suppress(Exception):
                    response.close()
            self._streams.clear()
