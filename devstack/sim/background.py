"""A simulator running on its own event loop thread, for tests and benchmarks of blocking code.

devstack's sources are blocking (the `kubernetes` client in worker threads), so product tests run
them in the test thread against a simulator whose asyncio loop lives in a background thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from devstack.sim.app import Simulator
from devstack.sim.runtime import ClusterOptions

T = TypeVar("T")


class BackgroundSimulator:
    """`Simulator` + (optionally) the simulated cluster, on a private loop thread."""

    def __init__(
        self,
        name: str,
        state_dir: Path,
        kubeconfig: Path,
        *,
        images: Path | None = None,
        runtime: bool = True,
        options: ClusterOptions | None = None,
        bookmark_interval: float = 1.0,
    ):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"sim-{name}", daemon=True)
        factory = None
        if runtime:
            from devstack.sim.cluster import Cluster

            def factory(store: Any) -> Any:
                return Cluster(
                    store, images=images, options=options or ClusterOptions(node_name=f"{name}-control-plane")
                )

        self.simulator = Simulator(
            name, state_dir, kubeconfig, runtime_factory=factory, bookmark_interval=bookmark_interval
        )

    @property
    def context(self) -> str:
        """`kind-<name>`."""
        return self.simulator.context

    def start(self) -> BackgroundSimulator:
        """Start the loop thread and the simulator (kubeconfig written when this returns)."""
        self._thread.start()
        self.run(self.simulator.start)
        return self

    def run(self, coroutine: Callable[[], Awaitable[T]], timeout: float = 60) -> T:
        """Run a coroutine function on the simulator's loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(_call(coroutine), self._loop)
        return future.result(timeout)

    def call(self, function: Callable[[], T], timeout: float = 30) -> T:
        """Run a plain function on the loop thread (store mutations must happen there)."""

        async def wrapper() -> T:
            return function()

        return self.run(wrapper, timeout)

    def stop(self) -> None:
        """Stop the simulator (every pod process ends) and the loop thread."""
        try:
            if self._thread.is_alive():
                self.run(self.simulator.stop)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()


async def _call(coroutine: Callable[[], Awaitable[T]]) -> T:
    return await coroutine()
