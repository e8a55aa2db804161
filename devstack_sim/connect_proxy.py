"""A loopback HTTP CONNECT proxy, standing in for the corporate proxy in front of a cluster.

It listens on 127.0.0.1, answers `CONNECT host:port` with `HTTP/1.1 200 Connection established`
and then relays bytes both ways, like Squid or a cloud bastion proxy. Host names are resolved by
the proxy itself (as a proxy resolves internal names its clients cannot): every name maps to
127.0.0.1. Targets outside 127.0.0.0/8 are refused with 403, so traffic never leaves the machine.
Anything but CONNECT gets 405. `tunnels` and `targets` record what went through.

Run it on its own thread with `start()` / `stop()` (tests and benchmarks are blocking code).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import threading


class ConnectProxy:
    """A CONNECT proxy on 127.0.0.1 (a free port unless one is given)."""

    def __init__(self, port: int = 0):
        self._requested_port = port
        self.port = 0
        self.tunnels = 0
        self.targets: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="connect-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ConnectProxy:
        """Listen (returns once bound)."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(timeout=10)
        return self

    def stop(self) -> None:
        """Close the listener and every tunnel, end the thread."""
        if not self._thread.is_alive():
            return

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self._requested_port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        method, _, rest = head.decode("latin-1").partition(" ")
        target = rest.split(" ", 1)[0]
        if method != "CONNECT":
            await _answer(writer, "405 Method Not Allowed")
            return
        host, _, port_text = target.rpartition(":")
        address = _loopback(host.strip("[]"))
        if address is None or not port_text.isdigit():
            await _answer(writer, "403 Forbidden")
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(address, int(port_text))
        except OSError:
            await _answer(writer, "502 Bad Gateway")
            return
        with self._lock:
            self.tunnels += 1
            self.targets.append(target)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )


def _loopback(host: str) -> str | None:
    """Where a CONNECT target goes: names resolve to 127.0.0.1; IPs must be loopback."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "127.0.0.1" if host else None
    return str(address) if address.is_loopback else None


async def _answer(writer: asyncio.StreamWriter, status: str) -> None:
    writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.close()
