"""Tie a simulated API server to a Docker container: it serves only while the container runs.

`python -m devstack_sim serve --follow-container NAME` uses this for kind stand-in clusters: the
control-plane node container plays the node, so `docker stop NAME` makes the API refuse connections
and `docker start NAME` brings it back on the same port with the same objects (the simulator process
and its store stay alive). A thread reads Docker's event stream and wakes the asyncio side, which
also re-checks every `poll` seconds in case the stream drops; when the container is removed,
`on_removed` is called (the daemon then shuts down, as the cluster is gone).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

RUNNING, STOPPED, GONE, UNKNOWN = "running", "stopped", "gone", "unknown"


class Listener(Protocol):
    """What the follower drives (`devstack_sim.server.ApiServer`)."""

    @property
    def listening(self) -> bool:
        """Whether connections are accepted."""
        ...

    async def start_listening(self) -> None:
        """Bind the port again."""
        ...

    async def stop_listening(self) -> None:
        """Close the port and every connection."""
        ...


class ContainerFollower:
    """Keeps `server` listening exactly while Docker container `container` runs.

    Args:
        container: Container name or id.
        server: The API server to open and close.
        on_removed: Called (on the event loop) once the container no longer exists.
        poll: Seconds between state checks when no event arrives.
    """

    def __init__(
        self, container: str, server: Listener, on_removed: Callable[[], None], poll: float = 0.5
    ) -> None:
        self.container = container
        self.server = server
        self.on_removed = on_removed
        self.poll = poll
        self.state = UNKNOWN
        self._closed = threading.Event()
        self._wake = asyncio.Event()
        self._stream: Any = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._inspect_lock = threading.Lock()
        self._client: Any = None

    def _inspect(self) -> str:
        import docker
        from docker.errors import DockerException, NotFound

        with self._inspect_lock:
            try:
                if self._client is None:
                    self._client = docker.from_env(timeout=10)
                attrs = self._client.api.inspect_container(self.container)
            except NotFound:
                return GONE
            except (DockerException, OSError) as err:
                log.warning("follow %s: docker inspect failed: %s", self.container, err)
                self._client = None
                return UNKNOWN
        state = attrs.get("State") or {}
        return RUNNING if state.get("Running") and not state.get("Paused") else STOPPED

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        import docker
        from docker.errors import DockerException

        while not self._closed.is_set():
            try:
                client = docker.from_env(timeout=None)
                self._stream = client.events(
                    decode=True, filters={"type": "container", "container": self.container}
                )
                for _event in self._stream:
                    loop.call_soon_threadsafe(self._wake.set)
            except (DockerException, OSError, ValueError) as err:
                if not self._closed.is_set():
                    log.warning("follow %s: docker events stream failed: %s", self.container, err)
            except Exception as err:  # noqa: BLE001 - a dropped stream must never kill the follower thread
                if not self._closed.is_set():
                    log.warning("follow %s: docker events stream ended: %s", self.container, err)
            self._closed.wait(1.0)

    async def _reconcile(self) -> bool:
        """Match the listening state to the container; False once the container is gone."""
        state = await asyncio.to_thread(self._inspect)
        if state != self.state:
            log.info("follow %s: container is %s", self.container, state)
        self.state = state
        if state == RUNNING and not self.server.listening:
            try:
                await self.server.start_listening()
                log.info("follow %s: API server listening again", self.container)
            except OSError as err:
                log.warning("follow %s: cannot listen again yet: %s", self.container, err)
        elif state in (STOPPED, GONE) and self.server.listening:
            await self.server.stop_listening()
            log.info("follow %s: API server stopped listening", self.container)
        return state != GONE

    async def _loop(self) -> None:
        while not self._closed.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            self._wake.clear()
            if not await self._reconcile():
                self.on_removed()
                return

    async def start(self) -> None:
        """Check the container once (so the server state is right on return), then follow it."""
        if not await self._reconcile():
            self.on_removed()
            return
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._watch, args=(loop,), name="follow-events", daemon=True)
        self._thread.start()
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop following (the server is left as it is)."""
        self._closed.set()
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 2.0)
