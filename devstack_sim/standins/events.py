"""The skaffold stand-in's event API v2 (`--rpc-http-port`, proto/v2/skaffold.proto; TOOLS.md §2).

`GET /v2/events` streams every event as newline-delimited JSON, `{"result": {...Event...}}` per
line, with proto field names (`task_id`, `actionableErr`) and every unset field emitted (the
gateway's `JSONPb{OrigName: true, EmitDefaults: true}`: "" / 0 / null, enums by name); a new
subscriber first receives every past event, then the live ones, until skaffold exits (the
`terminationEvent` is the last one). `GET /v2/state` answers the current state. Anything else is
`404 Not Found`. The server binds 127.0.0.1 only. The event ids follow skaffold's: a task is
`<Task>-<iteration>` (`DevLoop-2`), the iteration counts up with each `DevLoop` task, build
subtasks carry `Build-<n>`, deploy and status-check subtasks `Deploy-<n>`.

`DEVSTACK_SIM_SKAFFOLD_EVENTS` makes the stand-in a skaffold without this API, for the fallback
path: `v1` serves only the v1 API (every `/v2/...` is 404), `none` starts no server at all.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack_sim.standins.home import StandinError

API_ENV = "DEVSTACK_SIM_SKAFFOLD_EVENTS"
DEFAULT_HTTP_PORT = 50052  # constants.DefaultRPCHTTPPort
IN_PROGRESS, SUCCEEDED, FAILED = "InProgress", "Succeeded", "Failed"
# proto/enums StatusCode names for the stand-in's status-check verdicts (statuscheck.pod_problem codes).
STATUS_CODES = {
    "ok": "STATUSCHECK_SUCCESS",
    "creating": "STATUSCHECK_CONTAINER_CREATING",
    "image-pull": "STATUSCHECK_IMAGE_PULL_ERR",
    "run-container": "STATUSCHECK_RUN_CONTAINER_ERR",
    "terminated": "STATUSCHECK_CONTAINER_TERMINATED",
    "restarting": "STATUSCHECK_CONTAINER_RESTARTING",
    "unschedulable": "STATUSCHECK_FAILED_SCHEDULING",
    "unknown": "STATUSCHECK_UNKNOWN",
    "waiting-unknown": "STATUSCHECK_UNKNOWN",
    "pending": "STATUSCHECK_DEPLOYMENT_ROLLOUT_PENDING",
    "deadline": "STATUSCHECK_DEADLINE_EXCEEDED",
}


def timestamp(now_ns: int | None = None) -> str:
    """A protobuf Timestamp in JSON: RFC 3339, UTC, nanoseconds (`2026-08-01T10:00:00.123456789Z`)."""
    ns = time.time_ns() if now_ns is None else now_ns
    seconds, nanos = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{nanos:09d}Z"


def actionable(code: str, message: str) -> dict[str, Any]:
    """An `ActionableErr` (no suggestions)."""
    return {"errCode": code, "message": message, "suggestions": []}


class EventLog:
    """Every event of this skaffold run, in order; followers block for new ones until `close()`."""

    def __init__(self) -> None:
        self._events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._closed = False
        self.iteration = 0
        self.state: dict[str, Any] = {
            "buildState": {"artifacts": {}},
            "deployState": {"status": "NotStarted"},
        }

    def emit(self, kind: str, body: dict[str, Any]) -> None:
        """Append one event (`kind` is the oneof field: taskEvent, buildSubtaskEvent, ...)."""
        with self._changed:
            if self._closed:
                return  # skaffold drops events after its termination event
            self._events.append({"timestamp": timestamp(), kind: body})
            self._changed.notify_all()

    def close(self) -> None:
        """No more events: followers get the rest and their stream ends."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def follow(self) -> Iterator[dict[str, Any]]:
        """Every past event, then each new one as it comes, until `close()`."""
        index = 0
        while True:
            with self._changed:
                while index >= len(self._events) and not self._closed:
                    self._changed.wait(1.0)
                if index >= len(self._events):
                    return
                batch = self._events[index:]
                index = len(self._events)
            yield from batch

    @property
    def events(self) -> list[dict[str, Any]]:
        """A copy of every event so far (tests)."""
        with self._changed:
            return list(self._events)

    # ------------------------------------------------------------------ skaffold's event helpers
    def meta(self, entry: str) -> None:
        """`metaEvent` (skaffold logs one when it starts)."""
        self.emit("metaEvent", {"entry": entry, "metadata": None})

    def task(
        self, task: str, status: str, description: str = "", error: dict[str, Any] | None = None
    ) -> None:
        """`taskEvent`; `DevLoop` InProgress starts the next iteration (event/v2/event.go)."""
        if task == "DevLoop" and status == IN_PROGRESS:
            self.iteration += 1
        self.emit(
            "taskEvent",
            {
                "id": f"{task}-{self.iteration}",
                "task": task,
                "description": description if status == IN_PROGRESS else "",
                "iteration": self.iteration,
                "status": status,
                "actionableErr": error,
            },
        )

    def build_step(self, artifact: str, step: str, status: str, error: dict[str, Any] | None = None) -> None:
        """`buildSubtaskEvent`: step `Cache` (Succeeded = hit, Failed = miss) or `Build`."""
        if step == "Build":
            self.state["buildState"]["artifacts"][artifact] = status
        self.emit(
            "buildSubtaskEvent",
            {
                "id": artifact,
                "task_id": f"Build-{self.iteration}",
                "artifact": artifact,
                "step": step,
                "status": status,
                "actionableErr": error,
                "hostPlatform": "",
                "targetPlatforms": "",
            },
        )

    def deploy_step(self, index: int, status: str, error: dict[str, Any] | None = None) -> None:
        """`deploySubtaskEvent` for the index-th deployer."""
        self.state["deployState"]["status"] = status
        self.emit(
            "deploySubtaskEvent",
            {
                "id": str(index),
                "task_id": f"Deploy-{self.iteration}",
                "status": status,
                "actionableErr": error,
            },
        )

    def status_check(self, resource: str, status: str, message: str, code: str) -> None:
        """`statusCheckSubtaskEvent` for one resource (`deployment/x`), with skaffold's status code."""
        error = None if status == SUCCEEDED else actionable(code, message)
        self.emit(
            "statusCheckSubtaskEvent",
            {
                "id": resource,
                "task_id": f"Deploy-{self.iteration}",
                "resource": resource,
                "status": status,
                "message": SUCCEEDED if status == SUCCEEDED else message,
                "statusCode": code,
                "actionableErr": error,
            },
        )

    def termination(self, error: str = "") -> None:
        """`terminationEvent` (Completed, or Failed with the error): the last event."""
        err = actionable("UNKNOWN_ERROR", error) if error else None
        self.emit("terminationEvent", {"status": "Failed" if error else "Completed", "err": err})


class _Handler(BaseHTTPRequestHandler):
    server: EventServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if self.server.v1_only and path.startswith("/v2/"):
            path = ""
        if path == "/v2/events":
            self._stream()
        elif path == "/v2/state":
            self._json(self.server.log.state)
        else:
            body = b"Not Found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def _json(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.server.streaming(+1)
        try:
            for event in self.server.log.follow():
                line = json.dumps({"result": event}, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            return  # the follower went away
        finally:
            self.server.streaming(-1)
        self.close_connection = True


class EventServer(ThreadingHTTPServer):
    """The HTTP gateway on 127.0.0.1."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, port: int, log: EventLog, v1_only: bool = False):
        self.log = log
        self.v1_only = v1_only
        super().__init__(("127.0.0.1", port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, name="skaffold-rpc-http", daemon=True)
        self._streams = 0
        self._streams_changed = threading.Condition()

    def streaming(self, delta: int) -> None:
        """Count the open `/v2/events` streams (`stop` lets them finish)."""
        with self._streams_changed:
            self._streams += delta
            self._streams_changed.notify_all()

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.server_address[1])

    def start(self) -> EventServer:
        """Serve in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every stream (after the log is closed) and stop serving (skaffold waits up to 1s)."""
        self.log.close()
        with self._streams_changed:
            self._streams_changed.wait_for(lambda: self._streams <= 0, timeout=1.0)
        self.shutdown()
        self.server_close()


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def start(log: EventLog, requested: str, explicit: bool, warn: Any) -> EventServer | None:
    """Start the HTTP gateway for `--rpc-http-port` (None when `DEVSTACK_SIM_SKAFFOLD_EVENTS=none`).

    An explicitly requested busy port fails (TOOLS.md §2: "if the requested port is busy, skaffold
    fails"); without the flag the default port moves to the next free one, with skaffold's warning.

    Raises:
        StandinError: a bad or busy requested port.
    """
    mode = os.environ.get(API_ENV, "v2")
    if mode == "none":
        return None
    try:
        port = int(requested)
    except ValueError:
        raise StandinError(
            f'invalid argument "{requested}" for "--rpc-http-port" flag: not a number'
        ) from None
    wanted = port
    if not explicit:
        while not _port_free(port) and port < wanted + 100:
            port += 1
        if port != wanted:
            warn(f"WARN[0000] starting gRPC HTTP server on port {port}. ({wanted} is already in use)")
    try:
        return EventServer(port, log, v1_only=mode == "v1").start()
    except OSError as err:
        reason = err.strerror or str(err)
        raise StandinError(
            f"starting HTTP server: creating listener: listen tcp 127.0.0.1:{wanted}: bind: {reason}"
        ) from None
