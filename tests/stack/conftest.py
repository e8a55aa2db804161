"""Fixtures for the stack's tests: the real helm binary, rendering, and a scratch copy of the stack."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import require
from stack_helpers import CHART, REPO, Render, run_helm

STACK_ENTRIES = ("skaffold.yaml", "Tiltfile", "charts", "demo", "profiles")


@pytest.fixture(scope="session")
def helm() -> str:
    """The helm binary: its absence fails the test when CI=true, else skips it with the reason."""
    path = shutil.which("helm")
    require(path is not None, "helm")
    assert path is not None
    return path


@pytest.fixture
def render(helm: str) -> Render:
    """Render the chart as release jetscale in namespace jetscale and return its documents."""

    def _render(*args: str) -> list[dict[str, Any]]:
        done = run_helm(helm, "template", "jetscale", str(CHART), "--namespace", "jetscale", *args)
        assert done.returncode == 0, done.stderr
        return [doc for doc in yaml.safe_load_all(done.stdout) if doc]

    return _render


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A scratch copy of everything `devstack validate` reads, safe to break."""
    target = tmp_path / "stack"
    target.mkdir()
    for name in STACK_ENTRIES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("*.tgz", "__pycache__"))
        elif source.is_file():
            shutil.copy(source, target / name)
    return target
