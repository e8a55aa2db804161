"""Fixtures for engine tests: a simulator on a background thread, targeted by explicit context."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import require

from devstack.sim.background import BackgroundSimulator, helm_template
from devstack.sources.kube import KubeTarget


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


REPO = Path(__file__).resolve().parents[2]


def render_chart(*sets: str, namespace: str = "jetscale") -> list[dict]:
    """`helm template` of charts/jetscale with `--set` overrides (the real helm binary)."""
    import shutil

    require(shutil.which("helm") is not None, "helm on PATH")
    return helm_template(REPO / "charts" / "jetscale", "jetscale", namespace, sets)


def apply_objects(sim: BackgroundSimulator, objects: list[dict], namespace: str = "jetscale") -> None:
    """Create the namespace and every object in the simulator's store (as an apply would)."""
    sim.apply(objects, namespace)


@pytest.fixture
def cluster_sim(tmp_path: Path) -> Iterator[BackgroundSimulator]:
    """A simulator named `jetscale` whose pods are real local processes (the demo apps)."""
    from devstack.sim.runtime import ClusterOptions

    options = ClusterOptions(
        node_name="jetscale-control-plane",
        backoff_base_seconds=0.3,
        backoff_cap_seconds=2.0,
        probe_period_cap_seconds=0.3,
        termination_grace_cap_seconds=1.0,
    )
    sim = BackgroundSimulator(
        "jetscale", tmp_path / "sim", Path(os.environ["KUBECONFIG"]), options=options
    ).start()
    try:
        yield sim
    finally:
        sim.stop()
