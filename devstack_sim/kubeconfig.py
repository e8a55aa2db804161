"""Kubeconfig entries of a kind-style cluster: build, merge into a file, remove again.

The pure functions (`build`, `merge`, `remove`) work on dicts; `merge_into_file`,
`remove_from_file` and `write_atomic` are thin file wrappers (atomic tmp + rename, mode 0600,
parent directories created). Entries are named `kind-<name>` for context, cluster and user, as
kind names them; other entries of the file are kept untouched.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

from devstack_sim.certs import ClusterCerts
from devstack_sim.fileio import write_text_atomic

Config = dict[str, Any]
_SECTIONS = ("clusters", "contexts", "users")


def entry_name(cluster: str) -> str:
    """The context/cluster/user name kind uses for a cluster: `kind-<name>`."""
    return f"kind-{cluster}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def empty() -> Config:
    """An empty kubeconfig document."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [],
        "contexts": [],
        "users": [],
        "current-context": "",
    }


def build(
    cluster: str, port: int, certs: ClusterCerts, host: str = "127.0.0.1", tls_server_name: str | None = None
) -> Config:
    """A kubeconfig holding only this cluster's entries, with current-context set to it.

    Args:
        cluster: The kind cluster name (without the `kind-` prefix).
        port: The API server's port on `host`.
        certs: The cluster's certificates (embedded as base64 data).
        host: The API server address.
        tls_server_name: The name the serving certificate carries, when `host` is not among them.
    """
    name = entry_name(cluster)
    config = empty()
    entry: dict[str, Any] = {
        "certificate-authority-data": _b64(certs.ca_cert),
        "server": f"https://{host}:{port}",
    }
    if tls_server_name:
        entry["tls-server-name"] = tls_server_name
    config["clusters"] = [{"name": name, "cluster": entry}]
    config["contexts"] = [{"name": name, "context": {"cluster": name, "user": name}}]
    config["users"] = [
        {
            "name": name,
            "user": {
                "client-certificate-data": _b64(certs.client_cert),
                "client-key-data": _b64(certs.client_key),
            },
        }
    ]
    config["current-context"] = name
    return config


def _named(entries: Any) -> list[dict[str, Any]]:
    return [entry for entry in entries or [] if isinstance(entry, dict)]


def merge(existing: Config | None, new: Config, set_current: bool = True) -> Config:
    """Merge the entries of `new` into a copy of `existing`, replacing same-named entries.

    Args:
        existing: The current kubeconfig (None or empty for a new file).
        new: Entries to add (usually the result of `build`).
        set_current: Whether `new`'s current-context becomes the current context.

    Returns:
        A new dict; neither argument is modified.
    """
    result = copy.deepcopy(existing) if existing else empty()
    result.setdefault("apiVersion", "v1")
    result.setdefault("kind", "Config")
    for section in _SECTIONS:
        incoming = _named(new.get(section))
        names = {entry.get("name") for entry in incoming}
        kept = [entry for entry in _named(result.get(section)) if entry.get("name") not in names]
        result[section] = kept + copy.deepcopy(incoming)
    if set_current and new.get("current-context"):
        result["current-context"] = new["current-context"]
    else:
        result.setdefault("current-context", "")
    return result


def remove(existing: Config | None, cluster: str) -> Config:
    """A copy of `existing` without the `kind-<cluster>` entries.

    current-context is unset when it pointed at the removed context.
    """
    result = copy.deepcopy(existing) if existing else empty()
    name = entry_name(cluster)
    for section in _SECTIONS:
        result[section] = [entry for entry in _named(result.get(section)) if entry.get("name") != name]
    if result.get("current-context") == name:
        result["current-context"] = ""
    return result


def read(path: Path) -> Config | None:
    """The parsed kubeconfig at `path`, None when the file is missing or empty.

    Raises:
        ValueError: When the file holds something other than a YAML mapping.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = yaml.safe_load(text)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a kubeconfig must be a YAML mapping")
    return data


def write_atomic(path: Path, config: Config) -> None:
    """Write `config` as YAML to `path` via a temporary file and a rename; mode 0600."""
    text = yaml.safe_dump(config, default_flow_style=False, sort_keys=False)
    write_text_atomic(path, text, mode=0o600)


def merge_into_file(path: Path, new: Config, set_current: bool = True) -> Config:
    """Merge `new` into the kubeconfig file at `path` (created when missing); returns the result."""
    merged = merge(read(path), new, set_current)
    write_atomic(path, merged)
    return merged


def remove_from_file(path: Path, cluster: str) -> Config | None:
    """Remove the cluster's entries from the file at `path`; a missing file stays missing."""
    existing = read(path)
    if existing is None:
        return None
    result = remove(existing, cluster)
    write_atomic(path, result)
    return result
