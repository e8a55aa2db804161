"""What every WebSocket to the API server shares: the credentials, the failure to open one, and
the counters of a forwarded connection. Port-forward tunnels are `wstunnel.py`'s; other streams
(pod exec) open theirs with `connect_websocket` (aiohttp).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

from devstack.sources.credentials import Credentials, KubeTarget, credentials_for


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
