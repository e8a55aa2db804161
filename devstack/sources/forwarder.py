"""localhost ports that never drop: devstack listens on 127.0.0.1 itself and tunnels each
connection to a ready endpoint of the Service, chosen from the live EndpointSlices in the store.

Unlike `kubectl port-forward` (one pod, exits when it goes away) this survives pod restarts and
redeploys: with no ready endpoint a new connection waits (up to `wait_ready`), a connection that
fails before any byte came back is replayed on another endpoint, and the local port is never
remapped.

Each forward stands alone: its own spare WebSocket (opened ahead to the endpoint the next
connection will use, so that it does not wait for a TLS and WebSocket handshake; dropped when the
endpoint changes, replaced silently when the server closed it), its own `max_connections`
(connections beyond it are closed at once and `last_error` says so) and `idle_timeout` (a tunnel
that moved no byte for that long is closed). Connections and tunnels are protocols
(`localconn.py`, `wstunnel.py`): bytes are relayed in their callbacks, with no task per chunk.
While it holds a port the forwarder keeps a marker in the state dir (`PortClaims`), so a later
`--take-over` can prove the port is devstack's.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any

from devstack.core import events as ev
from devstack.core.portforward import Endpoint, ForwardView, pick_endpoint
from devstack.core.store import Store
from devstack.profile.models import Forward
from devstack.sources.kube import KubeTarget
from devstack.sources.localconn import LocalConnection
from devstack.sources.portowner import HeldPort, PortBusy, PortClaims, ownership, stop_holder
from devstack.sources.ports import port_holder
from devstack.sources.tunnel import ApiCredentials, Counters, TunnelFailed, load_credentials
from devstack.sources.wsopen import open_tunnel
from devstack.sources.wstunnel import Tunnel

STATS_INTERVAL = 0.25
FILES_PER_CONNECTION = 2  # the local socket and the WebSocket to the API server
SPARE_FILES = 256


@dataclass
class _Live:
    """Mutable per-forward state, owned by the forwarder's loop."""

    view: ForwardView
    server: asyncio.AbstractServer | None = None
    warm: tuple[Endpoint, Tunnel] | None = None  # the spare WebSocket and the endpoint it goes to
    refilling: asyncio.Task[None] | None = None


class Forwarder:
    """Every profile forward, on one asyncio loop; state goes to the store as `ForwardChanged`."""

    def __init__(
        self,
        store: Store,
        target: KubeTarget,
        forwards: tuple[Forward, ...],
        claims: PortClaims | None = None,
    ):
        self._store = store
        self._target = target
        self._claims = claims
        self._forwards = {f.name: f for f in forwards}
        self._live = {
            f.name: _Live(ForwardView(f.name, f.local_port, f.service, f.remote_port)) for f in forwards
        }
        self._credentials: ApiCredentials | None = None
        self._changed: asyncio.Event | None = (
            None  # the store changed (wakes connections waiting for an endpoint)
        )
        self._dirty: asyncio.Event | None = None  # something to publish (wakes `_publish_loop`)
        self._published: dict[str, ForwardView] = {}
        self._unsubscribe: Any = None
        self._publisher: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self, take_over: bool = False) -> None:
        """Bind every local port on 127.0.0.1 (refusing busy ones) and start serving."""
        loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()
        self._dirty = dirty = asyncio.Event()
        self._credentials = await loop.run_in_executor(None, load_credentials, self._target)
        raise_file_limit(sum(f.max_connections for f in self._forwards.values()))
        changed = self._changed

        def on_event(_state: object, event: ev.Event) -> None:
            if isinstance(event, (ev.KubeBatch, ev.KubeSynced, ev.KubeChanged)):
                loop.call_soon_threadsafe(changed.set)
                loop.call_soon_threadsafe(dirty.set)

        self._unsubscribe = self._store.subscribe(on_event)
        for name, forward in self._forwards.items():
            live = self._live[name]
            live.server = await self._bind(forward, take_over)
            if self._claims is not None:
                await loop.run_in_executor(None, self._claims.claim, forward.local_port, name)
        self._publish_all()
        self._publisher = asyncio.create_task(self._publish_loop())

    async def _bind(self, forward: Forward, take_over: bool) -> asyncio.AbstractServer:
        def accepted(local: LocalConnection) -> None:
            self._spawn(self._serve(forward, local))

        loop = asyncio.get_running_loop()
        for attempt in range(2):
            try:
                return await loop.create_server(
                    lambda: LocalConnection(accepted), "127.0.0.1", forward.local_port, reuse_address=True
                )
            except OSError as err:
                if err.errno != errno.EADDRINUSE:
                    raise
                holder = await loop.run_in_executor(None, port_holder, forward.local_port)
                owner = await loop.run_in_executor(None, ownership, holder, forward.local_port, self._claims)
                if attempt == 0 and take_over and owner.ours:
                    await loop.run_in_executor(None, stop_holder, holder)
                    continue
                raise PortBusy(HeldPort(forward.local_port, forward.name, holder, owner)) from None
        raise AssertionError("unreachable")

    def _mark_changed(self) -> None:
        """A forward's view changed: publish it soon (`_publish_loop`)."""
        if self._dirty is not None:
            self._dirty.set()

    def endpoint(self, forward: Forward) -> Endpoint | None:
        """A ready endpoint for a forward, from the current state."""
        state = self._store.state
        service = state.services.get(f"{self._target.namespace}/{forward.service}")
        return pick_endpoint(list(state.endpointslices.values()), service, forward.remote_port)

    async def _wait_endpoint(
        self, forward: Forward, deadline: float, local: LocalConnection
    ) -> Endpoint | None:
        assert self._changed is not None
        while True:
            found = self.endpoint(forward)
            if found is not None or time.monotonic() >= deadline or local.client_done:
                return found
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(0.5, deadline - time.monotonic()))

    async def _serve(self, forward: Forward, local: LocalConnection) -> None:
        live = self._live[forward.name]
        self._mark_changed()
        if live.view.active >= forward.max_connections:
            live.view = replace(
                live.view,
                refused=live.view.refused + 1,
                last_error=f"connection limit reached: {live.view.active} connections open on "
                f"localhost:{forward.local_port}, new ones are closed until some end "
                f"(forwards[].max_connections of {forward.name}: {forward.max_connections})",
            )
            local.close()
            return
        live.view = replace(live.view, active=live.view.active + 1, connections=live.view.connections + 1)
        counters = Counters()
        deadline = time.monotonic() + forward.wait_ready
        try:
            while not local.client_done:
                target = await self._wait_endpoint(forward, deadline, local)
                if target is None:
                    if not local.client_done:
                        waited = f"no ready endpoint for {forward.service} after {forward.wait_ready:.0f}s"
                        live.view = replace(live.view, last_error=waited)
                    return
                try:
                    await self._tunnel(forward, target, local, counters)
                    return
                except TunnelFailed as failed:
                    live.view = replace(live.view, last_error=str(failed)[:200])
                    if time.monotonic() >= deadline or not local.replayable:
                        return
                    await asyncio.sleep(0.05)
        finally:
            self._mark_changed()
            live.view = replace(
                live.view,
                active=live.view.active - 1,
                idle_closed=live.view.idle_closed + (1 if counters.idle else 0),
                bytes_out=live.view.bytes_out + counters.sent,
                bytes_in=live.view.bytes_in + counters.received,
            )
            local.close()

    async def _tunnel(
        self, forward: Forward, target: Endpoint, local: LocalConnection, counters: Counters
    ) -> None:
        tunnel = self._take_warm(forward.name, target) or await self._open(target)
        try:
            await local.relay(tunnel, counters, forward.idle_timeout)
        finally:
            # Refill only now: a TLS handshake on this loop would delay the request in flight.
            self._refill(forward.name, target)

    async def _open(self, target: Endpoint) -> Tunnel:
        assert self._credentials is not None
        return await open_tunnel(self._credentials, self._target.namespace, target.pod, target.port)

    def _take_warm(self, name: str, target: Endpoint) -> Tunnel | None:
        """The spare WebSocket, if one to `target` is open (saves the TLS and WebSocket handshake)."""
        live = self._live[name]
        warm, live.warm = live.warm, None
        if warm is None:
            return None
        endpoint, tunnel = warm
        if endpoint == target and tunnel.usable:
            return tunnel
        tunnel.close()  # closed by the server meanwhile, or to an endpoint no longer chosen
        return None

    def _refill(self, name: str, target: Endpoint) -> None:
        """Open the next connection's WebSocket to `target` in the background (one spare per forward).

        A spare to another endpoint (the pod was replaced) is closed first: a spare is only ever
        handed to a connection for the endpoint it was opened to.
        """
        live = self._live[name]
        if live.warm is not None and live.warm[0] != target:
            live.warm[1].close()
            live.warm = None
        busy = live.refilling is not None and not live.refilling.done()
        if self._stopping or live.warm is not None or busy:
            return

        async def open_warm() -> None:
            try:
                tunnel = await self._open(target)
            except TunnelFailed:
                return
            if live.warm is None and not self._stopping and self.endpoint(self._forwards[name]) == target:
                live.warm = (target, tunnel)
            else:
                tunnel.close()

        live.refilling = self._spawn(open_warm())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A background task kept referenced until it is done."""
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _status(self, name: str) -> ForwardView:
        live = self._live[name]
        if live.server is None:
            return replace(live.view, status="error")
        found = self.endpoint(self._forwards[name])
        if found is None:
            return replace(live.view, status="waiting", pod="", target_port=0)
        if live.warm is None or live.warm[0] != found or not live.warm[1].usable:
            if live.warm is not None and not live.warm[1].usable:
                live.warm = None
            self._refill(name, found)
        return replace(live.view, status="ready", pod=found.pod, target_port=found.port)

    def _publish_all(self) -> None:
        for name in self._live:
            view = self._status(name)
            if self._published.get(name) != view:
                self._published[name] = view
                self._store.dispatch(ev.ForwardChanged(view))

    async def _publish_loop(self) -> None:
        """Publish when something changed (a connection came or went, the endpoints moved), at
        most every `STATS_INTERVAL`; idle forwards wake nothing."""
        assert self._dirty is not None
        while True:
            await self._dirty.wait()
            await asyncio.sleep(STATS_INTERVAL)
            self._dirty.clear()
            self._publish_all()

    async def stop(self) -> None:
        """Close the listeners and every connection and tunnel, remove the port markers."""
        self._stopping = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._publisher is not None:
            self._publisher.cancel()
        for live in self._live.values():
            if live.refilling is not None:
                live.refilling.cancel()
            if live.warm is not None:
                live.warm[1].abort()
                live.warm = None
            if live.server is not None:
                live.server.close()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for name, live in self._live.items():
            if live.server is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(live.server.wait_closed(), timeout=5)
                if self._claims is not None:
                    self._claims.release(self._forwards[name].local_port)


def raise_file_limit(connections: int) -> None:
    """Raise this process's soft open-files limit towards what `connections` tunnels need.

    Never above the hard limit, never lowered. (Go programs like kubectl do the same at start.)
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections * FILES_PER_CONNECTION + SPARE_FILES
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The forwarder's loop: uvloop's where it is installed (each relayed chunk and each wake-up
    costs less: keep-alive latency through a forward ~20 % lower here), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - not on this platform
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class ForwardThread:
    """The forwarder on its own event-loop thread, for the blocking engine and the TUI."""

    def __init__(
        self,
        store: Store,
        target: KubeTarget,
        forwards: tuple[Forward, ...],
        claims: PortClaims | None = None,
    ):
        self.forwarder = Forwarder(store, target, forwards, claims)
        self._loop = new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="forwarder", daemon=True)

    def start(self, take_over: bool = False) -> None:
        """Bind the ports (raises PortBusy) and serve in the background."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self.forwarder.start(take_over), self._loop)
        try:
            future.result(timeout=30)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Close everything and end the thread."""
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self.forwarder.stop(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_running():
            self._loop.close()
