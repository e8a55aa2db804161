"""Reading the user's kubeconfig (never writing it: that is kind's and the simulator's job).

Which files to read is decided in one place (`devstack.settings.kubeconfig_paths`, through
`ToolEnv.kubeconfig_paths()`); this module only reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class ContextEntries:
    """What a kubeconfig says about one context: its user and cluster entries (kubectl's merge)."""

    context: str
    user_name: str
    user: dict[str, Any]
    cluster_name: str
    cluster: dict[str, Any]
    source: Path | None
    """The file the context entry came from."""


def context_entries(paths: Iterable[Path], context: str) -> ContextEntries | None:
    """The user and cluster entries of `context`, merged as kubectl merges files (first wins)."""
    sections: dict[str, dict[str, dict[str, Any]]] = {"contexts": {}, "users": {}, "clusters": {}}
    source: Path | None = None
    for path in paths:
        data = read_kubeconfig(path)
        for section, entries in sections.items():
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in entries:
                    entries[str(entry["name"])] = entry
                    if section == "contexts" and entry["name"] == context:
                        source = path
    found = sections["contexts"].get(context)
    if found is None:
        return None
    raw = found.get("context")
    body: dict[str, Any] = raw if isinstance(raw, dict) else {}
    user_name, cluster_name = str(body.get("user") or ""), str(body.get("cluster") or "")
    user = (sections["users"].get(user_name) or {}).get("user")
    cluster = (sections["clusters"].get(cluster_name) or {}).get("cluster")
    return ContextEntries(
        context,
        user_name,
        user if isinstance(user, dict) else {},
        cluster_name,
        cluster if isinstance(cluster, dict) else {},
        source,
    )
