"""Fixtures for engine tests: a simulator on a background thread, targeted by explicit context."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.sim.background import BackgroundSimulator
from devstack.sources.kube import KubeTarget


def wait_for(predicate: Callable[[], object], timeout: float = 20.0, what: str = "condition") -> None:
    """Poll until `predicate()` is truthy, failing the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


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
