"""Pod exec over WebSocket: `/api/v1/namespaces/NS/pods/NAME/exec?command=…&container=C&stdin=…`.

Subprotocols `v5.channel.k8s.io` (what kubectl ≥ 1.30 asks for) and `v4.channel.k8s.io`. Every
binary message starts with a channel byte: 0 stdin (client → server), 1 stdout, 2 stderr, 3 the
error channel (the server's last message: a `Status` — `Success`, or `Failure` with reason
`NonZeroExitCode` and the exit code as an `ExitCode` cause), 4 resize (client → server, JSON
`{"Width": W, "Height": H}`); with v5 the client sends `[255, 0]` to close stdin. The WebSocket
closes after the status.

As on a real server, the pod checks (unknown pod, bad container, no node, completed pod) answer
the request itself with a `Status`; a container that is not running is reported after the upgrade,
on the error channel (the API server's stream translator wraps the node's `container not found`).
Not served (known gap): the SPDY upgrade (`X-Stream-Protocol-Version`, kubectl's fallback when
`KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false`) gets a 400 `Status` once the checks pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from typing import Any

from aiohttp import WSMsgType, web

from devstack_sim import errors
from devstack_sim.context import CONTEXT, Target, flag
from devstack_sim.resources import PODS
from devstack_sim.runtime import ExecRequest, ExecSession, ExecStartError

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
_DRAIN_SECONDS = 2.0


def exec_request(request: web.Request, target: Target) -> ExecRequest:
    """The exec options of the query, checked as the API server checks them."""
    assert target.namespace is not None and target.name is not None
    command = tuple(request.query.getall("command", []))
    stdin, stdout, stderr, tty = (flag(request, name) for name in ("stdin", "stdout", "stderr", "tty"))
    if not command:
        raise errors.bad_request("you must specify at least 1 command")
    if not (stdin or stdout or stderr):
        raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
    return ExecRequest(
        namespace=target.namespace,
        pod=target.name,
        container=request.query.get("container") or None,
        command=command,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr and not tty,  # a terminal has one output stream
        tty=tty,
    )


def success() -> dict[str, Any]:
    """The status of a command that exited 0."""
    return {"metadata": {}, "status": "Success"}


def exit_status(code: int) -> dict[str, Any]:
    """The status of a command that exited non-zero (the API server's stream translator's words)."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: command terminated with exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def internal_error(message: str) -> dict[str, Any]:
    """The status of an exec the node refused after the upgrade."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"Internal error occurred: {message}",
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


def _protocol(request: web.Request) -> str | None:
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    return next((p for p in PROTOCOLS if p in offered), None)


async def serve(request: web.Request, target: Target) -> web.StreamResponse:
    """Check the request, upgrade to WebSocket, run the command and stream it."""
    ctx = request.app[CONTEXT]
    if request.method not in ("GET", "POST"):
        raise errors.ApiError(405, "MethodNotAllowed", "exec needs GET (WebSocket) or POST")
    assert target.namespace is not None and target.name is not None
    ctx.store.require(PODS, target.namespace, target.name)  # the pod is looked up first: 404
    options = exec_request(request, target)
    runtime = ctx.runtime
    if runtime is None:
        raise errors.bad_request(
            f'pod "{options.pod}" has no container runtime: the simulator was started without a pod '
            "runtime, so exec is not available"
        )
    container = runtime.exec_target(options)
    protocol = _protocol(request)
    if protocol is None:
        offered = request.headers.get("Sec-WebSocket-Protocol") or ", ".join(
            request.headers.getall("X-Stream-Protocol-Version", [])
        )
        raise errors.bad_request(
            "unable to upgrade connection: the simulator serves exec only over WebSocket with one of "
            f"{', '.join(PROTOCOLS)} (SPDY is not supported); the request offered: {offered or 'nothing'}"
        )
    ws = web.WebSocketResponse(protocols=(protocol,), autoping=True, heartbeat=None, max_msg_size=0)
    await ws.prepare(request)
    ctx.streams.add(ws)
    try:
        status = await _run(ws, runtime, _with_container(options, container), protocol)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_bytes(bytes([ERROR]) + json.dumps(status).encode())
    finally:
        ctx.streams.discard(ws)
        await ws.close()
    return ws


def _with_container(options: ExecRequest, container: str) -> ExecRequest:
    return replace(options, container=container)


async def _run(
    ws: web.WebSocketResponse, runtime: Any, options: ExecRequest, protocol: str
) -> dict[str, Any]:
    """Start the command, bridge it, and return the status to send."""
    try:
        session: ExecSession = await runtime.exec(options)
    except ExecStartError as exc:
        if exc.exit_code is None:
            return internal_error(exc.message)
        channel = STDOUT if options.stdout else STDERR
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_bytes(bytes([channel]) + exc.message.encode() + b"\r\n")
        return exit_status(exc.exit_code)
    reader = asyncio.create_task(_client_to_command(ws, session, protocol))
    pump = asyncio.create_task(_command_to_client(ws, session))
    waiting = asyncio.ensure_future(session.wait())
    try:
        await asyncio.wait({waiting, reader}, return_when=asyncio.FIRST_COMPLETED)
        if not waiting.done():  # the client went away: the command goes too
            await session.close()
            return exit_status(await waiting)
        with contextlib.suppress(TimeoutError):  # what the command wrote last, before the status
            await asyncio.wait_for(asyncio.shield(pump), _DRAIN_SECONDS)
        code = waiting.result()
    finally:
        reader.cancel()
        await session.close()
        pump.cancel()
        await asyncio.gather(pump, reader, waiting, return_exceptions=True)
    return success() if code == 0 else exit_status(code)


async def _command_to_client(ws: web.WebSocketResponse, session: ExecSession) -> None:
    """The command's output, each chunk on its channel, until the output ends or the client is gone."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        while (chunk := await session.output()) is not None:
            stream, data = chunk
            await ws.send_bytes(bytes([stream]) + data)


async def _client_to_command(ws: web.WebSocketResponse, session: ExecSession, protocol: str) -> None:
    """stdin, resize and close messages from the client, until it goes away."""
    async for message in ws:
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        data: bytes = message.data
        channel, payload = data[0], data[1:]
        if channel == STDIN and payload:
            await session.write_stdin(payload)
        elif channel == RESIZE and payload:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                size = json.loads(payload)
                session.resize(int(size.get("Width", 0)), int(size.get("Height", 0)))
        elif channel == CLOSE and protocol.startswith("v5") and payload[:1] == bytes([STDIN]):
            session.close_stdin()
