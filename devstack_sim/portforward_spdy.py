"""kubectl's port-forward: SPDY/3.1 streams tunnelled over a WebSocket (`SPDY/3.1+portforward.k8s.io`).

kubectl (client-go ≥ 1.31) opens the WebSocket, then for every local connection creates two SPDY
streams with the headers `streamType: error|data`, `port: P` and a shared `requestID`. The server
accepts each stream (SYN_REPLY), connects the pair to the pod through `PodRuntime.open_port`, copies
bytes both ways, and ends with FIN on the data and error streams — writing the kubelet's
`error forwarding port P to pod <sandbox>, uid : <cause>` text to the error stream first when the
connection to the pod fails. PINGs are echoed; SETTINGS and WINDOW_UPDATE are ignored (client-go's
spdystream does no flow control). A plain `Upgrade: SPDY/3.1` (no WebSocket) is not served.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from devstack_sim import errors, spdy
from devstack_sim.runtime import PodRuntime

PROTOCOL = "SPDY/3.1+portforward.k8s.io"
_READ_SIZE = 32 * 1024


@dataclass(eq=False)
class _Stream:
    stream_id: int
    headers: dict[str, str]
    incoming: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    closed: bool = False  # we sent FIN or RST


class SpdyPortForward:
    """One tunnelled SPDY session serving port-forward stream pairs for one pod."""

    def __init__(
        self, ws: web.WebSocketResponse, runtime: PodRuntime, namespace: str, pod: str, sandbox: str
    ):
        self._ws = ws
        self._runtime = runtime
        self._namespace = namespace
        self._pod = pod
        self._sandbox = sandbox
        self._reader = spdy.Reader()
        self._writer = spdy.Writer()
        self._send_lock = asyncio.Lock()
        self._streams: dict[int, _Stream] = {}
        self._pairs: dict[str, dict[str, _Stream]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_stream = 0

    async def run(self) -> None:
        """Serve until the client closes the WebSocket or sends GOAWAY; then stop every forward."""
        try:
            async for message in self._ws:
                if message.type != WSMsgType.BINARY:
                    continue
                try:
                    frames = self._reader.feed(message.data)
                except spdy.ProtocolError:
                    break
                if not await self._handle_all(frames):
                    break
        finally:
            for task in list(self._tasks):
                task.cancel()
            for stream in self._streams.values():
                stream.incoming.put_nowait(None)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._send(self._writer.goaway(self._last_stream))

    async def _send(self, *frames: bytes) -> None:
        async with self._send_lock:
            for frame in frames:
                await self._ws.send_bytes(frame)

    async def _handle_all(self, frames: list[spdy.Frame]) -> bool:
        for frame in frames:
            if frame.kind == spdy.GOAWAY:
                return False
            await self._handle(frame)
        return True

    async def _handle(self, frame: spdy.Frame) -> None:
        if frame.kind == spdy.SYN_STREAM:
            await self._open(frame)
        elif frame.kind == 0:
            stream = self._streams.get(frame.stream_id)
            if stream is not None:
                if frame.data:
                    stream.incoming.put_nowait(frame.data)
                if frame.fin:
                    stream.incoming.put_nowait(None)
        elif frame.kind == spdy.RST_STREAM:
            stream = self._streams.pop(frame.stream_id, None)
            if stream is not None:
                stream.closed = True
                stream.incoming.put_nowait(None)
        elif frame.kind == spdy.PING:
            await self._send(self._writer.ping(frame.value))

    async def _open(self, frame: spdy.Frame) -> None:
        stream = _Stream(frame.stream_id, frame.headers)
        self._last_stream = max(self._last_stream, frame.stream_id)
        kind = frame.headers.get("streamtype", "")
        request_id = frame.headers.get("requestid", frame.headers.get("port", ""))
        if kind not in ("error", "data") or not frame.headers.get("port", "").isdigit():
            await self._send(self._writer.rst_stream(frame.stream_id, spdy.RST_PROTOCOL_ERROR))
            return
        self._streams[frame.stream_id] = stream
        await self._send(self._writer.syn_reply(frame.stream_id))
        if frame.fin:
            stream.incoming.put_nowait(None)
        pair = self._pairs.setdefault(request_id, {})
        pair[kind] = stream
        if "error" in pair and "data" in pair:
            del self._pairs[request_id]
            task = asyncio.create_task(self._forward(pair["data"], pair["error"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _finish(self, stream: _Stream, payload: bytes = b"") -> None:
        if stream.closed:
            return
        stream.closed = True
        self._streams.pop(stream.stream_id, None)
        with contextlib.suppress(ConnectionError, RuntimeError):
            await self._send(*spdy.Writer.data(stream.stream_id, payload, fin=True))

    async def _forward(self, data: _Stream, error: _Stream) -> None:
        port = int(data.headers["port"])
        try:
            reader, writer = await self._runtime.open_port(self._namespace, self._pod, port)
        except (errors.ApiError, OSError) as exc:
            reason = exc.message if isinstance(exc, errors.ApiError) else str(exc)
            await self._finish(data)
            await self._finish(
                error, f"error forwarding port {port} to pod {self._sandbox}, uid : {reason}".encode()
            )
            return

        async def client_to_pod() -> None:
            while (chunk := await data.incoming.get()) is not None:
                writer.write(chunk)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()

        upstream = asyncio.create_task(client_to_pod())
        try:
            with contextlib.suppress(ConnectionError, OSError):
                while chunk := await reader.read(_READ_SIZE):
                    if data.closed:
                        break
                    await self._send(*spdy.Writer.data(data.stream_id, chunk))
        finally:
            upstream.cancel()
            writer.close()
            await self._finish(data)
            await self._finish(error)
