"""Reading the user's kubeconfig (never writing it: that is kind's and the simulator's job).

Which files to read is decided in one place (`devstack.settings.kubeconfig_paths`, through
`ToolEnv.kubeconfig_paths()`); this module only reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a dict ({} when missing or empty)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def context_names(paths: Iterable[Path]) -> list[str]:
    """Context names across the kubeconfig files, first file wins on duplicates."""
    names: list[str] = []
    for path in paths:
        for entry in read_kubeconfig(path).get("contexts") or []:
            name = entry.get("name") if isinstance(entry, dict) else None
            if name and name not in names:
                names.append(str(name))
    return names
