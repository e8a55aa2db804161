"""Helpers shared by the stack's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

from helpers import REPO

CHART = REPO / "charts" / "jetscale"

Render = Callable[..., list[dict[str, Any]]]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run helm from the repo root and capture its output (never raises on failure)."""
    return subprocess.run([helm, *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Index the documents of one kind by metadata.name."""
    return {d["metadata"]["name"]: d for d in docs if d.get("kind") == kind}
