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

from devstack.sources.kube import KubeTarget

PROTOCOL = "v4.channel.k8s.io"
REPLAY_LIMIT = 1 << 20
READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class ApiCredentials:
    """Where the API server is and how to authenticate, read through the official kubeconfig loader
    (client certificates, tokens and exec plugins alike)."""

    host: str
    ssl: ssl.SSLContext
    headers: dict[str, str] = field(default_factory=dict)

    def portforward_url(self, namespace: str, pod: str, port: int) -> str:
        """The WebSocket URL of a pod port-forward."""
        base = self.host.replace("https://", "wss://", 1).replace("http://", "ws://", 1).rstrip("/")
        return f"{base}/api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={port}"


def load_credentials(target: KubeTarget) -> ApiCredentials:
    """Credentials of exactly `target.context` from the kubeconfig."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(
        config_file=target.kubeconfig,
        context=target.context,
        client_configuration=configuration,
        persist_config=False,
    )
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file)
    headers = {}
    token = (configuration.api_key or {}).get("authorization")
    if token:
        headers["Authorization"] = token if token.startswith("Bearer ") else f"Bearer {token}"
    return ApiCredentials(configuration.host, context, headers)


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
    import aiohttp

    try:
        ws = await session.ws_connect(
            credentials.portforward_url(namespace, pod, port),
            protocols=(PROTOCOL,),
            ssl=credentials.ssl,
            headers=credentials.headers,
            max_msg_size=0,
            autoping=True,
        )
    except (TimeoutError, aiohttp.ClientError, OSError) as err:
        raise TunnelFailed(f"cannot open port-forward to pod {pod}: {err}") from None
    return ws


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
            channel, payload = message.data[0], message.data[1:]
            if channel in headers_seen and not headers_seen[channel]:
                headers_seen[channel] = True
                continue
            if channel == 1 and payload:
                error = payload.decode(errors="replace").strip()
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
