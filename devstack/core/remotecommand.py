"""The Kubernetes remote-command protocol (`exec`) as data: channels, the exec URL's query, the status.

Over WebSocket (`v5.channel.k8s.io`, else `v4.channel.k8s.io`) every binary message starts with a
channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the error channel (the server's last word: a `Status`),
4 resize (`{"Width": W, "Height": H}`); with v5 the client ends stdin with `[255, 0]`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255


@dataclass(frozen=True)
class ExecOutcome:
    """How an exec ended: the command's exit code, or why there is none (`error`)."""

    exit_code: int | None
    error: str = ""


def exec_path(
    namespace: str, pod: str, container: str, command: Sequence[str], *, stdin: bool, tty: bool
) -> str:
    """`/api/v1/namespaces/NS/pods/POD/exec?…` as kubectl builds it (stderr off with a tty)."""
    query: list[tuple[str, str]] = [("command", part) for part in command]
    query.append(("container", container))
    if stdin:
        query.append(("stdin", "true"))
    query.append(("stdout", "true"))
    if not tty:
        query.append(("stderr", "true"))
    else:
        query.append(("tty", "true"))
    pod_path = f"/api/v1/namespaces/{quote(namespace, safe='')}/pods/{quote(pod, safe='')}/exec"
    return f"{pod_path}?{urlencode(query)}"


def resize_message(width: int, height: int) -> bytes:
    """The resize channel's message for a terminal of `width` x `height`."""
    return bytes([RESIZE]) + json.dumps({"Width": width, "Height": height}).encode()


def close_stdin_message() -> bytes:
    """v5's "no more stdin" message."""
    return bytes([CLOSE, STDIN])


def outcome_of(status: Mapping[str, Any] | None) -> ExecOutcome:
    """The exit code (or the error) a status from the error channel carries.

    `Success` is exit 0; `Failure` with reason `NonZeroExitCode` carries the code as its `ExitCode`
    cause; any other failure is an error whose message is the status's (the command may not have
    run at all). No status (the stream ended without one) is an error too.
    """
    if status is None:
        return ExecOutcome(None, "the API server closed the stream before the command's exit status")
    if status.get("status") == "Success":
        return ExecOutcome(0)
    message = str(status.get("message") or "exec failed")
    if status.get("reason") == "NonZeroExitCode":
        details = status.get("details") or {}
        for cause in details.get("causes") or []:
            if isinstance(cause, Mapping) and cause.get("reason") == "ExitCode":
                try:
                    return ExecOutcome(int(str(cause.get("message"))))
                except ValueError:
                    break
    return ExecOutcome(None, message)


def parse_status(payload: bytes) -> Mapping[str, Any] | None:
    """The `Status` JSON of an error-channel message (None when it is not one)."""
    try:
        value = json.loads(payload.decode("utf-8", errors="replace"))
    except ValueError:
        return {"status": "Failure", "message": payload.decode("utf-8", errors="replace").strip()}
    return value if isinstance(value, Mapping) else None
