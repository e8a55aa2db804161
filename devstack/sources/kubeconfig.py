"""Reading the user's kubeconfig (never writing it: that is kind's and the simulator's job)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def kubeconfig_paths() -> list[Path]:
    """The files kubectl would read: `$KUBECONFIG` (colon-separated) or `~/.kube/config`."""
    value = os.environ.get("KUBECONFIG", "")
    if value:
        return [Path(part).expanduser() for part in value.split(os.pathsep) if part]
    return [Path.home() / ".kube" / "config"]


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a dict ({} when missing or empty)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def context_names(paths: list[Path] | None = None) -> list[str]:
    """Context names across the kubeconfig files, first file wins on duplicates."""
    names: list[str] = []
    for path in paths or kubeconfig_paths():
        for entry in read_kubeconfig(path).get("contexts") or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if name and name not in names:
                names.append(str(name))
    return names
