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

from devstack_sim.app import Simulator
from devstack_sim.runtime import ClusterOptions

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
        token_file: Path | None = None,
        server_names: tuple[str, ...] | None = None,
    ):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"sim-{name}", daemon=True)
        factory = None
        if runtime:
            from devstack_sim.cluster import Cluster

            def factory(store: Any) -> Any:
                return Cluster(
                    store, images=images, options=options or ClusterOptions(node_name=f"{name}-control-plane")
                )

        self.simulator = Simulator(
            name,
            state_dir,
            kubeconfig,
            runtime_factory=factory,
            bookmark_interval=bookmark_interval,
            token_file=token_file,
            server_names=server_names,
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

    def apply(self, objects: list[dict[str, Any]], namespace: str) -> None:
        """Create the namespace (if needed) and every object, straight into the store."""
        from devstack_sim import resources

        def create() -> None:
            store = self.simulator.store
            if store.get(resources.NAMESPACES, "", namespace) is None:
                store.create(resources.NAMESPACES, {"metadata": {"name": namespace}})
            for obj in objects:
                rtype = resources.find_kind(obj["apiVersion"], obj["kind"])
                if rtype is None:
                    raise ValueError(f"the simulator does not serve {obj['apiVersion']}/{obj['kind']}")
                obj.setdefault("metadata", {}).setdefault("namespace", namespace)
                store.create(rtype, obj)

        self.call(create)

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


def helm_template(
    chart: Path, release: str, namespace: str, sets: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """The objects `helm template` renders (the real helm binary; raises if it fails)."""
    import shutil
    import subprocess

    import yaml

    helm = shutil.which("helm")
    if helm is None:
        raise FileNotFoundError("helm is not on PATH")
    args = [helm, "template", release, str(chart), "--namespace", namespace]
    for item in sets:
        args += ["--set", item]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]
