"""Opening a port-forward WebSocket (`wstunnel.Tunnel`) as kubectl reaches the API server.

TLS for `https://` servers with the kubeconfig's CA, client certificate and `tls-server-name`;
through the cluster's `http://` proxy (`CONNECT`, Basic credentials from the proxy URL) when
`Credentials.proxy` names one; the credential's headers on the upgrade, renewed once after a 401.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from urllib.parse import unquote, urlsplit

from devstack.sources.tunnel import ApiCredentials, TunnelFailed
from devstack.sources.wstunnel import Tunnel

HANDSHAKE_TIMEOUT = 30.0


async def open_tunnel(credentials: ApiCredentials, namespace: str, pod: str, port: int) -> Tunnel:
    """Open the port-forward WebSocket to `pod`'s `port` (renewing the credential once after a 401).

    Raises:
        TunnelFailed: `cannot open port-forward to pod <pod>: <cause>` (refused upgrade, proxy,
            network, TLS, no answer within HANDSHAKE_TIMEOUT).
    """
    what = f"port-forward to pod {pod}"
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/portforward?ports={port}"
    source = credentials.source
    loop = asyncio.get_running_loop()
    for attempt in range(2):
        generation = source.generation
        tunnel: Tunnel | None = None
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT):
                tunnel = await _connect(credentials, what)
                tunnel.upgrade(_host_header(credentials.host), path, await credentials.headers())
                status, reason = await tunnel.response()
        except TimeoutError:
            _drop(tunnel)
            raise TunnelFailed(f"cannot open {what}: no answer within {HANDSHAKE_TIMEOUT:.0f}s") from None
        except (OSError, ssl.SSLError, ValueError) as err:
            _drop(tunnel)
            raise TunnelFailed(f"cannot open {what}: {err}") from None
        except BaseException:
            _drop(tunnel)
            raise
        if status == 101:
            return tunnel
        _drop(tunnel)
        renew = source.renew_after_unauthorized
        if status == 401 and attempt == 0 and await loop.run_in_executor(None, renew, generation):
            continue
        raise TunnelFailed(f"cannot open {what}: {status} {reason}")
    raise TunnelFailed(f"cannot open {what}: 401 Unauthorized")


async def _connect(credentials: ApiCredentials, what: str) -> Tunnel:
    """A connection to the API server (TLS for https://), through the proxy if there is one."""
    loop = asyncio.get_running_loop()
    source = credentials.source
    server = urlsplit(credentials.host)
    secure = server.scheme == "https"
    host = server.hostname or ""
    port = server.port or (443 if secure else 80)
    tls = credentials.ssl if secure else None
    name = (source.server_hostname or host) if secure else None
    proxy = source.proxy or ""
    if not proxy:
        _, tunnel = await loop.create_connection(Tunnel, host, port, ssl=tls, server_hostname=name)
        return tunnel
    if not proxy.startswith("http://"):
        raise TunnelFailed(f"cannot open {what}: proxy {proxy} is not an http:// proxy")
    via = urlsplit(proxy)
    transport, tunnel = await loop.create_connection(Tunnel, via.hostname or "", via.port or 80)
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if via.username:
        secret = f"{unquote(via.username)}:{unquote(via.password or '')}".encode()
        lines.append(f"Proxy-Authorization: Basic {base64.b64encode(secret).decode()}")
    tunnel.request(("\r\n".join(lines) + "\r\n\r\n").encode())
    status, reason = await tunnel.response()
    if status != 200:
        transport.close()
        raise TunnelFailed(
            f"cannot open {what}: proxy {via.hostname}:{via.port or 80} answered {status} {reason}"
        )
    if tls is not None:
        tunnel.transport = await loop.start_tls(transport, tunnel, tls, server_hostname=name)
    return tunnel


def _host_header(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]


def _drop(tunnel: Tunnel | None) -> None:
    if tunnel is not None:
        tunnel.abort()
