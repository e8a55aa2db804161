"""Fixtures for the simulated API server: a running Simulator and an authenticated client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import aiohttp
import pytest
from sim_helpers import Api, client_ssl

from devstack_sim.app import Simulator

# The modules whose simulator runs on both event loops: asyncio's (the in-process simulators of the
# tests) and uvloop's (`python -m devstack_sim serve`, the daemon behind every stand-in cluster).
BOTH_LOOPS = {"test_sim_exec", "test_sim_podio"}


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Each test of `BOTH_LOOPS` once per event loop, the others on asyncio's (pytest-asyncio's hook)."""
    module = getattr(item, "module", None)
    if module is None or module.__name__ not in BOTH_LOOPS:
        return {"asyncio": asyncio.new_event_loop}
    import uvloop

    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@pytest.fixture(autouse=True)
def sim_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every sim test points KUBECONFIG (and kubectl's cache) at files under tmp_path."""
    path = tmp_path / "kube" / "config"
    monkeypatch.setenv("KUBECONFIG", str(path))
    monkeypatch.setenv("KUBECACHEDIR", str(tmp_path / "kube" / "cache"))
    return path


@pytest.fixture
async def sim(tmp_path: Path, sim_kubeconfig: Path) -> AsyncIterator[Simulator]:
    """A started simulator named `x` (context `kind-x`) with a fast bookmark interval."""
    simulator = Simulator("x", tmp_path / "state", sim_kubeconfig, bookmark_interval=0.2)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[Api]:
    """An authenticated client of `sim`."""
    connector = aiohttp.TCPConnector(ssl=client_ssl(sim))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield Api(session, sim.server.url)


@pytest.fixture
async def process_sim(tmp_path: Path, sim_kubeconfig: Path) -> AsyncIterator[Simulator]:
    """A simulator with a cluster whose pods run real processes: `test/sleep` (sleeps, in
    tmp_path/work, GREETING=hi), `test/crash` (exits 1) and `sim/noop` (no process)."""
    import sys

    from devstack_sim.cluster import Cluster, ImageSpec, ImageTable
    from devstack_sim.runtime import ClusterOptions

    work = tmp_path / "work"
    work.mkdir()
    sleeper = ImageSpec(
        (sys.executable, "-c", "import time; time.sleep(1e6)"), cwd=work, env={"GREETING": "hi"}
    )
    images = ImageTable(
        {
            "test/sleep": sleeper,
            "test/crash": ImageSpec((sys.executable, "-c", "raise SystemExit(1)"), cwd=work),
            "sim/noop": ImageSpec(),
        }
    )
    options = ClusterOptions(backoff_base_seconds=0.2, backoff_cap_seconds=0.8, container_create_seconds=0.01)
    simulator = Simulator(
        "x", tmp_path / "state", sim_kubeconfig, runtime_factory=lambda store: Cluster(store, images, options)
    )
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()
