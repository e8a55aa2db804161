"""Fixtures for engine tests: a simulator on a background thread, targeted by explicit context."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fast_cluster_options, render_chart

from devstack.sources.kube import KubeTarget
from devstack_sim.background import BackgroundSimulator


@pytest.fixture
def bare_sim(tmp_path: Path) -> Iterator[BackgroundSimulator]:
    """A simulator named `w` without a runtime: pods are only objects (nothing runs)."""
    sim = BackgroundSimulator("w", tmp_path / "sim", Path(os.environ["KUBECONFIG"]), runtime=False).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def target(bare_sim: BackgroundSimulator) -> KubeTarget:
    """The explicit target for `bare_sim`'s `default` namespace."""
    return KubeTarget(bare_sim.context, "default", os.environ["KUBECONFIG"])


@pytest.fixture
def cluster_sim(tmp_path: Path) -> Iterator[BackgroundSimulator]:
    """A simulator named `jetscale` whose pods are real local processes (the demo apps)."""
    options = fast_cluster_options()
    sim = BackgroundSimulator(
        "jetscale", tmp_path / "sim", Path(os.environ["KUBECONFIG"]), options=options
    ).start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeTarget]:
    """One simulator (pods are the demo apps as processes) with the chart applied in `jetscale`,
    shared by the tests of a module; the target carries its own kubeconfig."""
    home = tmp_path_factory.mktemp("shared-sim")
    sim = BackgroundSimulator(
        "jetscale", home / "sim", home / "kubeconfig", options=fast_cluster_options()
    ).start()
    try:
        sim.apply(render_chart(), "jetscale")
        yield KubeTarget(sim.context, "jetscale", str(home / "kubeconfig"))
    finally:
        sim.stop()
