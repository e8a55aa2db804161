"""A client's connection to a forward's local port, relayed through one port-forward WebSocket.

The connection is a protocol too (see `wstunnel.py`): what the client sends goes to the tunnel from
`data_received`, with flow control both ways (the side that cannot take more pauses the other's
reading). Until the pod answers, what the client sent is kept (up to `REPLAY_LIMIT`) so that a
tunnel that fails before any answer can be replaced by one to another endpoint without the client
noticing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from devstack.sources.tunnel import Counters, TunnelFailed
from devstack.sources.wstunnel import Tunnel

REPLAY_LIMIT = 1 << 20


class LocalConnection(asyncio.Protocol):
    """One accepted client connection; `on_open` is called with it once it is made."""

    def __init__(self, on_open: Callable[[LocalConnection], None]):
        self._on_open = on_open
        self.transport: Any = None
        self.tunnel: Tunnel | None = None
        self.replay = bytearray()
        self.replayable = True  # everything the client sent so far is in `replay`
        self.client_done = False  # the client closed its side (or the connection is gone)
        self.gone = asyncio.get_running_loop().create_future()

    # ------------------------------------------------------------------ asyncio callbacks
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._on_open(self)

    def data_received(self, data: bytes) -> None:
        tunnel = self.tunnel
        if tunnel is not None and tunnel.answered:
            if self.replay:
                self.replay = bytearray()
            tunnel.send(data)
            return
        if self.replayable and len(self.replay) + len(data) <= REPLAY_LIMIT:
            self.replay += data
        else:
            self.replayable = False
        if tunnel is not None:
            tunnel.send(data)
        elif len(self.replay) >= REPLAY_LIMIT or not self.replayable:
            self.transport.pause_reading()  # nowhere to send it yet: hold the client

    def eof_received(self) -> bool:
        self._client_left()
        return True  # keep the connection open for the rest of the answer

    def connection_lost(self, exc: Exception | None) -> None:
        tunnel = self.tunnel
        if tunnel is not None:
            tunnel.detach()
        self._client_left()

    def pause_writing(self) -> None:
        if self.tunnel is not None and self.tunnel.transport is not None:
            self.tunnel.transport.pause_reading()

    def resume_writing(self) -> None:
        tunnel = self.tunnel
        if tunnel is not None and tunnel.transport is not None and not tunnel.transport.is_closing():
            tunnel.transport.resume_reading()

    def _client_left(self) -> None:
        self.client_done = True
        if self.tunnel is not None:
            self.tunnel.close()
        if not self.gone.done():
            self.gone.set_result(None)

    # ------------------------------------------------------------------ relaying
    async def relay(self, tunnel: Tunnel, counters: Counters, idle_timeout: float | None) -> None:
        """Relay through `tunnel` until either side closes (or nothing moved for `idle_timeout`).

        Raises:
            TunnelFailed: the pod side ended before sending anything back while the client was
                still there; `replay` holds what the client sent, for another endpoint.
        """
        tunnel.counters = counters
        self.tunnel = tunnel
        tunnel.attach(self.transport)
        if self.replay:
            tunnel.send(self.replay)
        if self.client_done:
            tunnel.close()
        elif not self.transport.is_closing():
            self.transport.resume_reading()
        idle = _IdleWatch(tunnel, counters, idle_timeout) if idle_timeout else None
        try:
            await tunnel.finished
        except asyncio.CancelledError:
            tunnel.abort()
            raise
        finally:
            self.tunnel = None
            tunnel.detach()
            if idle is not None:
                idle.cancel()
        if not tunnel.answered and not self.client_done and not counters.idle:
            if not self.transport.is_closing():
                self.transport.pause_reading()  # until the next tunnel is attached
            raise TunnelFailed(tunnel.error or "the pod closed the connection before answering")

    def close(self) -> None:
        """Close the client's connection (what was written still goes out first)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


class _IdleWatch:
    """Closes a tunnel once no byte moved for `idle_timeout` seconds (one timer, re-armed lazily)."""

    def __init__(self, tunnel: Tunnel, counters: Counters, idle_timeout: float):
        self._tunnel = tunnel
        self._counters = counters
        self._timeout = idle_timeout
        self._loop = asyncio.get_running_loop()
        counters.last_active = time.monotonic()
        self._handle = self._loop.call_later(idle_timeout, self._check)

    def _check(self) -> None:
        remaining = self._counters.last_active + self._timeout - time.monotonic()
        if remaining > 0:
            self._handle = self._loop.call_later(remaining, self._check)
            return
        self._counters.idle = True
        self._tunnel.close()

    def cancel(self) -> None:
        self._handle.cancel()
