"""Pod port-forward over WebSocket: `/api/v1/namespaces/NS/pods/NAME/portforward?ports=P[,Q]`.

Subprotocols `v4.channel.k8s.io` (preferred), `v5.channel.k8s.io` and `channel.k8s.io` — all the
binary channel framing: every message starts with a channel byte; for the i-th port channel 2i
carries data and 2i+1 errors, and the server's first message on each is the port number (2 bytes,
little-endian). Bytes are bridged to `PodRuntime.open_port`; a failed connect sends the kubelet's
`error forwarding port P to pod <sandbox>, uid : ...` text on the error channel. The WebSocket closes
when every port's pod side has closed, and the pod sides close when the client goes away. With v5,
a `[255, channel]` message half-closes that port's pod connection. A WebSocket that moved no byte
for `ServerContext.streaming_idle_timeout` (the kubelet's `--streaming-connection-idle-timeout`,
4 h by default) is dropped without a close frame, as the kubelet drops an idle stream.

kubectl's protocol (`SPDY/3.1+portforward.k8s.io`: SPDY streams tunnelled in the WebSocket) is
served by `portforward_spdy.py`. Not served (known gap): a plain `Upgrade: SPDY/3.1` connection
without WebSocket (kubectl's fallback when the WebSocket upgrade fails) gets a 400 Status.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import struct
from typing import Any

from aiohttp import WSMsgType, web

from devstack_sim import errors
from devstack_sim.context import CONTEXT, Target
from devstack_sim.portforward_spdy import PROTOCOL as SPDY_PROTOCOL
from devstack_sim.portforward_spdy import SpdyPortForward
from devstack_sim.resources import PODS
from devstack_sim.runtime import PodRuntime

PROTOCOLS = ("v4.channel.k8s.io", "v5.channel.k8s.io", "channel.k8s.io")
_CLOSE_CHANNEL = 255
_JOIN_BELOW = 16 * 1024  # chunks smaller than a TLS record go out with their frame header in one write


def _ports(request: web.Request) -> list[int]:
    ports: list[int] = []
    for value in request.query.getall("ports", []):
        for raw in value.split(","):
            part = raw.strip()
            if not part:
                continue
            if not part.isdigit() or not 0 < int(part) < 65536:
                raise errors.bad_request(f'invalid port "{part}": port must be > 0 and < 65536')
            ports.append(int(part))
    if not ports:
        raise errors.bad_request("at least 1 port must be specified")
    return ports


def _protocol(request: web.Request) -> str:
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
    for wanted in (*PROTOCOLS, SPDY_PROTOCOL):
        if wanted in offered:
            return wanted
    what = ", ".join(offered) or request.headers.get("Upgrade", "no WebSocket upgrade")
    raise errors.bad_request(
        "unable to upgrade connection: the simulator serves port-forward only over WebSocket with one of "
        f"{', '.join((*PROTOCOLS, SPDY_PROTOCOL))} (a plain SPDY upgrade is not supported); "
        f"the request offered: {what}"
    )


def sandbox_id(uid: str) -> str:
    """A stable 64-hex sandbox id for a pod, as containerd names pod sandboxes."""
    return hashlib.sha256(uid.encode()).hexdigest()


class _Activity:
    """When a port-forward last moved a byte either way; `expire` ends once it idled for `timeout`."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.last = self._loop.time()

    def touch(self) -> None:
        """A byte moved."""
        self.last = self._loop.time()

    async def expire(self, timeout: float) -> None:
        """Return once nothing moved for `timeout` seconds."""
        while (remaining := self.last + timeout - self._loop.time()) > 0:
            await asyncio.sleep(remaining)


class _Forward:
    """One port of one WebSocket: the pod connection and its channels."""

    def __init__(self, index: int, port: int):
        self.port = port
        self.data = 2 * index
        self.error = 2 * index + 1
        self.writer: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None
        self.relay: _PodFrames | None = None
        self.ready = asyncio.Event()

    def close_pod_side(self) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.close()


async def serve(request: web.Request, target: Target) -> web.StreamResponse:
    """Upgrade to WebSocket and bridge each requested port to the pod."""
    ctx = request.app[CONTEXT]
    assert target.name is not None and target.namespace is not None
    if request.method not in ("GET", "POST"):
        raise errors.ApiError(405, "MethodNotAllowed", "port-forward needs GET (WebSocket) or POST")
    pod = ctx.store.require(PODS, target.namespace, target.name)
    runtime = ctx.runtime
    if runtime is None:
        raise errors.bad_request(
            f'pod "{target.name}" has no container runtime: the simulator was started without a pod '
            "runtime, so port-forward is not available"
        )
    protocol = _protocol(request)
    sandbox = sandbox_id(str(pod["metadata"].get("uid", "")))
    if protocol == SPDY_PROTOCOL:
        return await _serve_spdy(request, runtime, target, sandbox)
    ports = _ports(request)
    ws = web.WebSocketResponse(protocols=(protocol,), autoping=True, heartbeat=None, max_msg_size=0)
    await ws.prepare(request)
    forwards = [_Forward(i, port) for i, port in enumerate(ports)]
    ctx.streams.add(ws)
    tasks: list[asyncio.Task[None]] = []
    reader: asyncio.Task[None] | None = None
    watchdog: asyncio.Task[None] | None = None
    activity = _Activity()
    try:
        for fwd in forwards:
            await ws.send_bytes(bytes([fwd.data]) + struct.pack("<H", fwd.port))
            await ws.send_bytes(bytes([fwd.error]) + struct.pack("<H", fwd.port))
        for fwd in forwards:
            relay = _pod_to_client(ws, request, runtime, target, fwd, sandbox, activity)
            fwd.task = asyncio.create_task(relay)
            tasks.append(fwd.task)
        pods_done: asyncio.Future[Any] = asyncio.gather(*tasks, return_exceptions=True)
        reader = asyncio.create_task(_client_to_pod(ws, forwards, protocol, activity))
        watchdog = asyncio.create_task(activity.expire(ctx.streaming_idle_timeout))
        await asyncio.wait({pods_done, reader, watchdog}, return_when=asyncio.FIRST_COMPLETED)
        if watchdog.done() and request.transport is not None:
            request.transport.close()  # as the kubelet drops the stream: no close frame
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if reader is not None:
            reader.cancel()
        for fwd in forwards:
            fwd.close_pod_side()
        for task in tasks:
            task.cancel()
        ctx.streams.discard(ws)
        await ws.close()
    return ws


async def _serve_spdy(
    request: web.Request, runtime: PodRuntime, target: Target, sandbox: str
) -> web.StreamResponse:
    ctx = request.app[CONTEXT]
    assert target.namespace is not None and target.name is not None
    ws = web.WebSocketResponse(protocols=(SPDY_PROTOCOL,), autoping=True, heartbeat=None, max_msg_size=0)
    await ws.prepare(request)
    ctx.streams.add(ws)
    try:
        await SpdyPortForward(ws, runtime, target.namespace, target.name, sandbox).run()
    finally:
        ctx.streams.discard(ws)
        await ws.close()
    return ws


async def _pod_to_client(
    ws: web.WebSocketResponse,
    request: web.Request,
    runtime: PodRuntime,
    target: Target,
    fwd: _Forward,
    sandbox: str,
    activity: _Activity,
) -> None:
    assert target.namespace is not None and target.name is not None
    try:
        reader, fwd.writer = await runtime.open_port(target.namespace, target.name, fwd.port)
    except (errors.ApiError, OSError) as exc:
        reason = exc.message if isinstance(exc, errors.ApiError) else str(exc)
        text = f"error forwarding port {fwd.port} to pod {sandbox}, uid : {reason}"
        with contextlib.suppress(ConnectionError):
            await ws.send_bytes(bytes([fwd.error]) + text.encode())
        return
    finally:
        fwd.ready.set()
    client = request.transport
    if client is None or client.is_closing():
        fwd.close_pod_side()
        return
    fwd.relay = _PodFrames.take_over(reader, fwd.writer, client, request.protocol, fwd.data, activity)
    try:
        await fwd.relay.done
    finally:
        fwd.close_pod_side()


class _PodFrames(asyncio.Protocol):
    """The pod side of one forwarded port, as a protocol: each chunk the pod sends is written at
    once as one binary frame on the client's connection (no task switch, no copy of the chunk), and
    the pod's reading pauses while the client's connection is backed up.

    The frames go straight to the client's transport, between whole frames aiohttp writes there
    (it writes each frame at once, too); `flow` is aiohttp's protocol of that connection, which
    says when its writing is paused.
    """

    def __init__(
        self, pod: asyncio.Transport, client: asyncio.Transport, flow: Any, channel: int, activity: _Activity
    ):
        self._pod = pod
        self._client = client
        self._activity = activity
        self._flow = flow
        self._channel = channel
        self._waiting: asyncio.Task[None] | None = None
        self._pod_writable = asyncio.Event()
        self._pod_writable.set()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @classmethod
    def take_over(
        cls,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: asyncio.Transport,
        flow: Any,
        channel: int,
        activity: _Activity,
    ) -> _PodFrames:
        """Replace the stream protocol of a fresh pod connection (what it already read goes first)."""
        pod: Any = writer.transport
        relay = cls(pod, client, flow, channel, activity)
        buffered: bytearray = reader._buffer  # type: ignore[attr-defined]
        early = bytes(buffered)  # read between the connect and now (a server's greeting)
        buffered.clear()
        pod.set_protocol(relay)
        pod.resume_reading()
        if early:
            relay.data_received(early)
        if reader.at_eof() or pod.is_closing():
            relay.eof_received()
        return relay

    def data_received(self, data: bytes) -> None:
        if self._client.is_closing():
            self._pod.close()
            return
        self._activity.touch()
        header = _frame_header(len(data) + 1, self._channel)
        if len(data) < _JOIN_BELOW:  # one TLS record and one send for a small chunk
            self._client.write(header + data)
        else:  # a large one is not copied
            self._client.write(header)
            self._client.write(data)
        if self._flow.writing_paused and self._waiting is None:
            self._pod.pause_reading()
            self._waiting = asyncio.ensure_future(self._resume_when_drained())

    async def _resume_when_drained(self) -> None:
        try:
            await self._flow._drain_helper()
        except ConnectionError:
            self._pod.close()
            return
        finally:
            self._waiting = None
        if not self._pod.is_closing():
            self._pod.resume_reading()

    def eof_received(self) -> bool:
        self._finish()
        return False  # the transport closes itself

    def pause_writing(self) -> None:
        self._pod_writable.clear()

    def resume_writing(self) -> None:
        self._pod_writable.set()

    async def pod_writable(self) -> None:
        """Wait while the pod's side is backed up (flow control of the client → pod direction)."""
        await self._pod_writable.wait()

    def connection_lost(self, exc: Exception | None) -> None:
        self._pod_writable.set()
        if self._waiting is not None:
            self._waiting.cancel()
        self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _frame_header(length: int, channel: int) -> bytes:
    """A final binary WebSocket frame's header (server frames are not masked) and the channel byte."""
    if length < 126:
        return bytes((0x82, length, channel))
    if length < 65536:
        return struct.pack("!BBHB", 0x82, 126, length, channel)
    return struct.pack("!BBQB", 0x82, 127, length, channel)


async def _client_to_pod(
    ws: web.WebSocketResponse, forwards: list[_Forward], protocol: str, activity: _Activity
) -> None:
    by_channel = {fwd.data: fwd for fwd in forwards}
    async for message in ws:
        if message.type != WSMsgType.BINARY or not message.data:
            continue
        activity.touch()
        data: bytes = message.data
        channel = data[0]
        if channel == _CLOSE_CHANNEL and protocol.startswith("v5") and len(data) > 1:
            fwd = by_channel.get(data[1])
            if fwd is not None and fwd.writer is not None and fwd.writer.can_write_eof():
                fwd.writer.write_eof()
            continue
        fwd = by_channel.get(channel)
        if fwd is None or len(data) < 2:
            continue
        await fwd.ready.wait()
        if fwd.writer is None or fwd.writer.is_closing():
            continue
        fwd.writer.write(memoryview(data)[1:])
        if fwd.relay is not None:
            await fwd.relay.pod_writable()
