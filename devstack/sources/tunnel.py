"""One TCP connection tunnelled to a pod port over the Kubernetes port-forward WebSocket.

Protocol `v4.channel.k8s.io`: every binary message starts with a channel byte; for the single
port requested, channel 0 carries data and channel 1 errors, and the server's first message on
each is the port number (2 bytes, little-endian). One WebSocket serves one TCP connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from devstack.sources.credentials import Credentials, KubeTarget, credentials_for

PROTOCOL = "v4.channel.k8s.io"
REPLAY_LIMIT = 1 << 20
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class ApiCredentials:
    """The forwarder's view of the shared `Credentials`: the TLS context is built once, the
    headers are asked for at every WebSocket (so renewed tokens are used at once)."""

    source: Credentials
    ssl: ssl.SSLContext

    @property
    def host(self) -> str:
        """The API server URL."""
        return self.source.host

    def websocket_url(self, path: str) -> str:
        """The WebSocket URL of an API path (`/api/v1/...?...`)."""
        base = self.host.replace("https://", "wss://", 1).replace("http://", "ws://", 1).rstrip("/")
        return f"{base}{path}"

    def portforward_url(self, namespace: str, pod: str, port: int) -> str:
        """The WebSocket URL of a pod port-forward."""
        return self.websocket_url(f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={port}")

    async def headers(self) -> dict[str, str]:
        """Authentication headers for the next WebSocket (renewal, which may run the exec plugin,
        happens off the event loop)."""
        if self.source.renewal_due():
            return await asyncio.get_running_loop().run_in_executor(None, self.source.headers)
        return self.source.headers()


def load_credentials(target: KubeTarget) -> ApiCredentials:
    """The shared credentials of exactly `target.context` (see `sources/credentials.py`)."""
    source = credentials_for(target)
    return ApiCredentials(source, source.ssl_context())


class TunnelFailed(Exception):
    """The pod side could not be reached before any byte came back (safe to retry elsewhere)."""


@dataclass
class Counters:
    """Bytes moved by one tunnel, when the last one moved, and whether it was closed for idling."""

    sent: int = 0
    received: int = 0
    last_active: float = field(default_factory=time.monotonic)
    idle: bool = False


async def open_socket(session: Any, credentials: ApiCredentials, namespace: str, pod: str, port: int) -> Any:
    """Connect the WebSocket and consume the two port header frames."""
    url = credentials.portforward_url(namespace, pod, port)
    return await connect_websocket(session, credentials, url, (PROTOCOL,), f"port-forward to pod {pod}")


async def connect_websocket(
    session: Any, credentials: ApiCredentials, url: str, protocols: tuple[str, ...], what: str
) -> Any:
    """A WebSocket to the API server with the shared credentials (renewed once after a 401).

    Raises:
        TunnelFailed: `cannot open <what>: <cause>` (refused handshake, proxy, network).
    """
    import aiohttp

    source = credentials.source
    proxy = source.proxy or None
    if proxy and not proxy.startswith("http://"):
        raise TunnelFailed(f"cannot open {what}: proxy {proxy} is not an http:// proxy")
    for attempt in range(2):
        generation = source.generation
        try:
            return await session.ws_connect(
                url,
                protocols=protocols,
                ssl=credentials.ssl,
                server_hostname=source.server_hostname,
                proxy=proxy,
                headers=await credentials.headers(),
                max_msg_size=0,
                autoping=True,
            )
        except aiohttp.WSServerHandshakeError as err:
            loop = asyncio.get_running_loop()
            renew = source.renew_after_unauthorized
            if err.status == 401 and attempt == 0 and await loop.run_in_executor(None, renew, generation):
                continue
            raise TunnelFailed(f"cannot open {what}: {err.status} {err.message}") from None
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as err:
            raise TunnelFailed(f"cannot open {what}: {err}") from None
    raise TunnelFailed(f"cannot open {what}: 401 Unauthorized")


async def bridge(
    ws: Any,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    counters: Counters,
    replay: bytearray,
    idle_timeout: float | None = None,
) -> None:
    """Move bytes both ways until either side closes, or nothing moved for `idle_timeout` seconds.

    Raises:
        TunnelFailed: the pod side failed before sending anything back; `replay` holds what the
            client already sent, so the caller can retry on another endpoint.
    """
    import aiohttp

    headers_seen = {0: False, 1: False}
    answered = False
    client_closed = False
    error: str | None = None

    async def upstream() -> None:
        nonlocal client_closed
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            counters.last_active = time.monotonic()
            if not answered and len(replay) < REPLAY_LIMIT:
                replay.extend(data)
            await ws.send_bytes(b"\x00" + data)
            counters.sent += len(data)
        client_closed = True
        await ws.close()

    sender = asyncio.create_task(upstream())
    watchdog = asyncio.create_task(_close_when_idle(ws, counters, idle_timeout)) if idle_timeout else None
    try:
        if replay:
            await ws.send_bytes(b"\x00" + bytes(replay))
        async for message in ws:
            if message.type != aiohttp.WSMsgType.BINARY or not message.data:
                continue
            channel, payload = message.data[0], memoryview(message.data)[1:]  # no copy of the data
            if channel in headers_seen and not headers_seen[channel]:
                headers_seen[channel] = True
                continue
            if channel == 1 and payload:
                error = bytes(payload).decode(errors="replace").strip()
                break
            if channel == 0 and payload:
                answered = True
                counters.last_active = time.monotonic()
                writer.write(payload)
                counters.received += len(payload)
                await writer.drain()
    finally:
        for task in (sender, watchdog):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, RuntimeError):
                    await task
        await ws.close()
    if not answered and not client_closed and not counters.idle:
        raise TunnelFailed(error or "the pod closed the connection before answering")


async def _close_when_idle(ws: Any, counters: Counters, idle_timeout: float) -> None:
    """Close `ws` once no byte moved for `idle_timeout` seconds (ending `bridge`'s receive loop)."""
    while True:
        remaining = counters.last_active + idle_timeout - time.monotonic()
        if remaining <= 0:
            counters.idle = True
            await ws.close()
            return
        await asyncio.sleep(remaining)
