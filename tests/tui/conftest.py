"""Fixtures for TUI tests: a simulated cluster running the jetscale chart, and sessions on it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import require

from devstack.engine.session import Session
from devstack.sim.background import BackgroundSimulator

REPO = Path(__file__).resolve().parents[2]


def render_chart(*sets: str, namespace: str = "jetscale") -> list[dict[str, Any]]:
    """`helm template` of charts/jetscale with `--set` overrides (the real helm binary)."""
    helm = shutil.which("helm")
    require(helm is not None, "helm on PATH")
    assert helm is not None
    args = [helm, "template", "jetscale", str(REPO / "charts" / "jetscale"), "--namespace", namespace]
    for item in sets:
        args += ["--set", item]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def apply_objects(
    sim: BackgroundSimulator, objects: list[dict[str, Any]], namespace: str = "jetscale"
) -> None:
    """Create the namespace and every object in the simulator's store (as an apply would)."""
    from devstack.sim import resources

    def apply() -> None:
        store = sim.simulator.store
        if store.get(resources.NAMESPACES, "", namespace) is None:
            store.create(resources.NAMESPACES, {"metadata": {"name": namespace}})
        for obj in objects:
            rtype = resources.find_kind(obj["apiVersion"], obj["kind"])
            assert rtype is not None, f"the simulator does not serve {obj['kind']}"
            obj.setdefault("metadata", {}).setdefault("namespace", namespace)
            store.create(rtype, obj)

    sim.call(apply)


@pytest.fixture
def sim_stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[BackgroundSimulator]:
    """Cluster `jetscale` (context kind-jetscale) running the chart; `request.param` = --set items."""
    from devstack.sim.runtime import ClusterOptions

    options = ClusterOptions(
        node_name="jetscale-control-plane",
        backoff_base_seconds=0.3,
        backoff_cap_seconds=2.0,
        probe_period_cap_seconds=0.3,
        termination_grace_cap_seconds=1.0,
    )
    sim = BackgroundSimulator("jetscale", tmp_path / "sim", Path(os.environ["KUBECONFIG"]), options=options)
    sim.start()
    try:
        apply_objects(sim, render_chart(*getattr(request, "param", ())))
        yield sim
    finally:
        sim.stop()


def live_session() -> Session:
    """A session for the repo's local-kind profile (context kind-jetscale) with this test's kubeconfig."""
    from devstack.engine.context import EngineContext
    from devstack.profile import LoadedProfile, load_profile
    from devstack.sources.tools import ToolEnv

    path = REPO / "profiles" / "local-kind.yaml"
    loaded = LoadedProfile(load_profile(path), path, REPO)
    tools = ToolEnv(dict(os.environ))
    return Session(
        build=lambda store: EngineContext(loaded, store, tools, interactive=True), check_cluster=False
    )
