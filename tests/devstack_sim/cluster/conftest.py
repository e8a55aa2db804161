"""Fixtures for the cluster tests: a store with namespaces, test programs, a started Cluster."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cluster_helpers import FAST, ClusterFactory, Timeline, child_processes, write_programs

from devstack_sim.cluster import Cluster, ImageTable
from devstack_sim.resources import NAMESPACES
from devstack_sim.runtime import ClusterOptions
from devstack_sim.store import Store


@pytest.fixture
def store() -> Store:
    """A fresh store holding the namespaces `default` and `jetscale`."""
    new = Store()
    for name in ("default", "jetscale"):
        new.create(NAMESPACES, {"metadata": {"name": name}})
    return new


@pytest.fixture
def images(tmp_path: Path) -> ImageTable:
    """The test programs (web, crash, ticker) and `sim/noop`, written under tmp_path."""
    folder = tmp_path / "programs"
    folder.mkdir()
    return write_programs(folder)


@pytest.fixture
def timeline(store: Store) -> Timeline:
    """Every pod state the store goes through."""
    return Timeline(store)


@pytest.fixture
async def cluster(store: Store, images: ImageTable) -> AsyncIterator[Cluster]:
    """A started Cluster with short timings; after the test, no child process may remain."""
    assert not child_processes(), "a previous test leaked processes"
    sim = Cluster(store, images, FAST)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
        leftovers = child_processes()
        assert not leftovers, f"processes outlived Cluster.stop(): {leftovers}"


@pytest.fixture
async def make_cluster(store: Store) -> AsyncIterator[ClusterFactory]:
    """Start clusters with other images/options; all are stopped (and checked) after the test."""
    made: list[Cluster] = []
    assert not child_processes(), "a previous test leaked processes"

    async def make(
        images: ImageTable | None = None, options: ClusterOptions = FAST, on: Store | None = None
    ) -> Cluster:
        sim = Cluster(on or store, images, options)
        made.append(sim)
        await sim.start()
        return sim

    try:
        yield make
    finally:
        for sim in made:
            await sim.stop()
        leftovers = child_processes()
        assert not leftovers, f"processes outlived Cluster.stop(): {leftovers}"
