"""A command in a pod's container through the API's `exec` subresource over WebSocket.

The WebSocket offers `v5.channel.k8s.io` first and falls back to `v4.channel.k8s.io` (the server
picks; v4 cannot signal the end of stdin). It authenticates through the target's shared
`Credentials`, like every other API path, so only the allowed context is reached. Bytes go where
`ExecIO` says: stdout and stderr to callables, stdin from a blocking reader run in a thread, and the
terminal size (polled, so no signal handler is needed in any thread) as resize messages. The exit
code comes from the status on the error channel (`core/remotecommand.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from devstack.core.remotecommand import (
    ERROR,
    PROTOCOLS,
    STDERR,
    STDIN,
    STDOUT,
    ExecOutcome,
    close_stdin_message,
    exec_path,
    outcome_of,
    parse_status,
    resize_message,
)
from devstack.sources.kube import KubeTarget
from devstack.sources.tunnel import connect_websocket, load_credentials

SIZE_POLL_SECONDS = 0.25

ReadStdin = Callable[[threading.Event], "bytes | None"]
"""Blocks a little for input: bytes, b"" at the end of input, None when nothing came (checked again)."""


@dataclass
class ExecIO:
    """Where an exec's bytes come from and go to."""

    write_stdout: Callable[[bytes], None]
    write_stderr: Callable[[bytes], None]
    read_stdin: ReadStdin | None = None
    terminal_size: Callable[[], tuple[int, int] | None] | None = None


@dataclass(frozen=True)
class ExecCall:
    """Which command runs where."""

    pod: str
    container: str
    command: tuple[str, ...]
    stdin: bool = False
    tty: bool = False


def run_exec(target: KubeTarget, call: ExecCall, io: ExecIO) -> ExecOutcome:
    """Run the exec to its end (blocking: its own event loop in the calling thread).

    Raises:
        TunnelFailed: the WebSocket could not be opened (refused, unreachable, proxy).
    """
    return asyncio.run(exec_async(target, call, io))


async def exec_async(target: KubeTarget, call: ExecCall, io: ExecIO) -> ExecOutcome:
    """The exec on the running loop; see `run_exec`."""
    import aiohttp

    credentials = load_credentials(target)
    path = exec_path(target.namespace, call.pod, call.container, call.command, stdin=call.stdin, tty=call.tty)
    stop = threading.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        ws = await connect_websocket(
            session, credentials, credentials.websocket_url(path), PROTOCOLS, f"exec in pod {call.pod}"
        )
        v5 = ws.protocol == PROTOCOLS[0]
        tasks: list[asyncio.Task[None]] = []
        if call.stdin and io.read_stdin is not None:
            tasks.append(asyncio.create_task(_send_stdin(ws, io.read_stdin, stop, v5)))
        if call.tty and io.terminal_size is not None:
            tasks.append(asyncio.create_task(_send_sizes(ws, io.terminal_size)))
        try:
            status = await _receive(ws, io)
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await ws.close()
    return outcome_of(status)


async def _receive(ws: Any, io: ExecIO) -> Any:
    """Output to `io` until the server closes the stream; returns the status it sent (or None)."""
    import aiohttp

    status = None
    async for message in ws:
        if message.type != aiohttp.WSMsgType.BINARY or not message.data:
            continue
        channel, payload = message.data[0], message.data[1:]
        if not payload:
            continue
        if channel == STDOUT:
            io.write_stdout(payload)
        elif channel == STDERR:
            io.write_stderr(payload)
        elif channel == ERROR:
            status = parse_status(payload)
    return status


async def _send_stdin(ws: Any, read: ReadStdin, stop: threading.Event, v5: bool) -> None:
    """Input from `read` (in a thread) to the stdin channel; with v5, say when it ended."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(ConnectionError, RuntimeError):
        while not stop.is_set():
            data = await loop.run_in_executor(None, read, stop)
            if data is None:
                continue
            if not data:
                if v5:
                    await ws.send_bytes(close_stdin_message())
                return
            await ws.send_bytes(bytes([STDIN]) + data)


async def _send_sizes(ws: Any, size: Callable[[], tuple[int, int] | None]) -> None:
    """The terminal size at once, then whenever it changes."""
    last: tuple[int, int] | None = None
    with contextlib.suppress(ConnectionError, RuntimeError):
        while True:
            current = size()
            if current is not None and current != last:
                last = current
                await ws.send_bytes(resize_message(*current))
            await asyncio.sleep(SIZE_POLL_SECONDS)


def default_container(pod: dict[str, Any], wanted: str | None) -> str:
    """The container an exec or log means: `wanted`, else the pod's `kubectl.kubernetes.io/default-container`
    annotation, else its first container.

    Raises:
        ValueError: `wanted` is not a container of the pod (the message lists the pod's containers).
    """
    spec = pod.get("spec") or {}
    names = [str(c.get("name")) for c in spec.get("containers") or []]
    init = [str(c.get("name")) for c in spec.get("initContainers") or []]
    name = str((pod.get("metadata") or {}).get("name", ""))
    if wanted:
        if wanted not in names and wanted not in init:
            raise ValueError(
                f"container {wanted} is not valid for pod {name}: its containers are {_listed(names)}"
            )
        return wanted
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    default = str(annotations.get("kubectl.kubernetes.io/default-container") or "")
    if default in names:
        return default
    if not names:
        raise ValueError(f"pod {name} has no containers")
    return names[0]


def _listed(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "none"
