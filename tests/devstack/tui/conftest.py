"""Fixtures for TUI tests: a simulated cluster running the jetscale chart, and sessions on it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import fast_cluster_options, render_chart

from devstack_sim.background import BackgroundSimulator


@pytest.fixture
def sim_stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BackgroundSimulator]:
    """Cluster `jetscale` (context kind-jetscale) running the chart; `request.param` = --set items."""
    options = fast_cluster_options()
    sim = BackgroundSimulator("jetscale", tmp_path / "sim", Path(os.environ["KUBECONFIG"]), options=options)
    sim.start()
    try:
        sim.apply(render_chart(*getattr(request, "param", ())), "jetscale")
        yield sim
    finally:
        sim.stop()
