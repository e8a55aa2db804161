"""Following Skaffold's event API v2: `GET /v2/events` on 127.0.0.1 (TOOLS.md §2).

Skaffold started with `--rpc-http-port N` serves its events as newline-delimited JSON, one
`{"result": {...Event...}}` per line with proto field names; a new subscriber first receives
every past event. `EventStream` reads them in a worker thread and dispatches typed store events
(`SkaffoldTask`, `SkaffoldBuildStep`, ...). It also decides the deploy state's channel: `events`
once the stream answers, or `log` — devstack then reads Skaffold's output text — when the API
answers 404 (a Skaffold without the v2 API) or nothing answers within `API_WAIT` seconds.

A dropped stream is followed again (the past events it replays are skipped by their count) for as
long as Skaffold runs.
"""

from __future__ import annotations

import calendar
import contextlib
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from devstack.core import events as ev

API_WAIT = 10.0
MAX_LINE = 1 << 20
_STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")

Emit = Callable[[ev.Event], object]


def event_time(stamp: object, fallback: float) -> float:
    """Seconds since the epoch of a protobuf JSON timestamp (RFC 3339; nanoseconds kept to µs)."""
    match = _STAMP.match(stamp) if isinstance(stamp, str) else None
    if match is None:
        return fallback
    base = calendar.timegm(time.strptime(match[1], "%Y-%m-%dT%H:%M:%S"))
    fraction = float("0." + match[2]) if match[2] else 0.0
    zone = match[3]
    offset = (
        0 if zone == "Z" else (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * (1 if zone[0] == "+" else -1)
    )
    return base - offset + fraction


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def _error(body: dict[str, Any], key: str) -> tuple[str, str]:
    """(message, errCode) of an `ActionableErr` field (null when unset)."""
    err = body.get(key)
    if not isinstance(err, dict):
        return "", ""
    return _text(err, "message"), str(err.get("errCode") or "")


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def decode(result: dict[str, Any], received: float) -> ev.Event | None:
    """The store event for one API event (None for kinds devstack does not use)."""
    at = event_time(result.get("timestamp"), received)
    for kind, body in result.items():
        if not isinstance(body, dict):
            continue
        message, code = _error(body, "actionableErr")
        status = _text(body, "status")
        if kind == "taskEvent":
            iteration = _int(body.get("iteration"))
            return ev.SkaffoldTask(
                _text(body, "task"), iteration, status, at, _text(body, "description"), message, code
            )
        if kind == "buildSubtaskEvent":
            return ev.SkaffoldBuildStep(_text(body, "artifact"), _text(body, "step"), status, at, message)
        if kind == "deploySubtaskEvent":
            return ev.SkaffoldDeployStep(_text(body, "id"), status, at, message)
        if kind == "statusCheckSubtaskEvent":
            text = message or _text(body, "message")
            return ev.SkaffoldStatusCheck(
                _text(body, "resource"), status, at, text, str(body.get("statusCode") or "")
            )
        if kind == "fileSyncEvent":
            return ev.SkaffoldFileSync(_text(body, "image"), _int(body.get("fileCount")), status, at, message)
        if kind == "terminationEvent":
            return ev.SkaffoldTerminated(status, at, _error(body, "err")[0])
    return None


class EventStream:
    """Reads `/v2/events` of the Skaffold on 127.0.0.1:`port` while `alive()` says it runs."""

    def __init__(self, port: int, emit: Emit, alive: Callable[[], bool], api_wait: float = API_WAIT):
        self.port = port
        self._emit = emit
        self._alive = alive
        self._api_wait = api_wait
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="skaffold-events", daemon=True)
        self.channel = ""
        self.seen = 0
        self.terminated = threading.Event()

    def start(self) -> EventStream:
        """Begin following in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following (unblocks a read in progress)."""
        self._stop.set()
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _decide(self, channel: str, detail: str) -> None:
        if self.channel:
            return
        self.channel = channel
        self._emit(ev.DeployChannel(channel, detail, at=time.time()))

    def _run(self) -> None:
        deadline = time.monotonic() + self._api_wait
        where = f"127.0.0.1:{self.port}"
        while not self._stop.is_set() and not self.terminated.is_set():
            try:
                response = self._connect()
            except OSError as err:
                if not self.channel and (time.monotonic() > deadline or not self._alive()):
                    why = err.strerror or str(err)
                    self._decide(
                        "log", f"no event API answered on {where} ({why}); reading skaffold's output"
                    )
                    return
                if self.channel and not self._alive():
                    return
                self._stop.wait(0.1)
                continue
            if response.status != 200:
                reason = f"{response.status} {response.reason}".strip()
                detail = f"skaffold answered {reason} for /v2/events on {where} (no event API v2)"
                self._decide("log", f"{detail}; reading its output")
                return
            self._decide("events", f"following skaffold's event API v2 on {where}")
            self._follow(response)
            if not self._alive():
                return
            self._stop.wait(0.2)

    def _connect(self) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/v2/events", headers={"Accept": "application/json"})
        response = conn.getresponse()
        self._sock = conn.sock
        if conn.sock is not None:
            conn.sock.settimeout(None)  # the stream is quiet while the loop waits for changes
        return response

    def _follow(self, response: http.client.HTTPResponse) -> None:
        index = 0
        overlong = False
        try:
            while not self._stop.is_set():
                line = response.readline(MAX_LINE)
                if not line:
                    return
                if overlong or not line.endswith(b"\n"):
                    overlong = not line.endswith(b"\n")  # a line over MAX_LINE is skipped whole
                    continue
                index += 1
                if index <= self.seen:
                    continue  # replayed after a reconnect
                self.seen = index
                self._dispatch(line)
        except (OSError, http.client.HTTPException, ValueError):
            return
        finally:
            self._sock = None
            response.close()

    def _dispatch(self, line: bytes) -> None:
        try:
            document = json.loads(line)
        except ValueError:
            return
        result = document.get("result") if isinstance(document, dict) else None
        if not isinstance(result, dict):
            return
        event = decode(result, time.time())
        if event is not None:
            self._emit(event)
            if isinstance(event, ev.SkaffoldTerminated):
                self.terminated.set()
