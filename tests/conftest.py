"""Shared fixtures: every test runs with its own HOME, XDG dirs and KUBECONFIG."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import helpers
import pytest
from helpers import docker_error, require

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway HOME, XDG dirs and KUBECONFIG so no test touches the user's files."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("KUBECONFIG", str(home / ".kube" / "config"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return home


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    """A reachable Docker daemon: fails in CI when missing, skips locally with the reason."""
    error = docker_error()
    require(error is None, f"a reachable Docker daemon ({error})")


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    return helpers.free_port()


@pytest.fixture
def stack_copy(tmp_path: Path) -> Iterator[Path]:
    """A copy of the repo's stack files (profiles, skaffold.yaml, charts) to edit freely."""
    import shutil

    target = tmp_path / "stack"
    target.mkdir()
    for name in ("profiles", "charts", "demo"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, target / name)
    for name in ("skaffold.yaml", "Tiltfile"):
        if (REPO / name).exists():
            shutil.copy(REPO / name, target / name)
    yield target
