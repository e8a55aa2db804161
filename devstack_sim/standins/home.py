"""Where the stand-ins keep their state: `$DEVSTACK_SIM_HOME`, one folder per cluster.

Layout::

    $DEVSTACK_SIM_HOME/
      invocations.jsonl          one JSON line per kind/skaffold invocation
      images.json                images the skaffold stand-in "built" (the local image store)
      clusters/NAME/
        cluster.json             name, kubeconfig, API port, nodes, port mappings, docker or not
        daemon.pid, daemon.log   the `python -m devstack_sim serve` daemon
        pki/, simulator.json     the simulator's certificates and port
        node-images.json         images `kind load` put on each node
        deploys/CONTEXT.json     what the skaffold stand-in applied through that context
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devstack_sim.fileio import write_text_atomic

HOME_ENV = "DEVSTACK_SIM_HOME"


class StandinError(Exception):
    """A failure the stand-in reports to its user and exits 1 for (message without a prefix)."""


def sim_home() -> Path:
    """The state folder from `$DEVSTACK_SIM_HOME` (created when missing).

    Raises:
        StandinError: the variable is unset or empty.
    """
    value = os.environ.get(HOME_ENV, "").strip()
    if not value:
        raise StandinError(
            f"{HOME_ENV} is not set: the devstack simulator stand-ins keep their clusters there "
            f"(set it to a folder, e.g. {HOME_ENV}=$HOME/.devstack_sim)"
        )
    home = Path(value).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def clusters_dir(home: Path) -> Path:
    """The folder holding one sub-folder per cluster."""
    return home / "clusters"


def cluster_dir(home: Path, name: str) -> Path:
    """The state folder of cluster `name`."""
    return clusters_dir(home) / name


def read_json(path: Path, default: Any = None) -> Any:
    """The parsed JSON document at `path`, or `default` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(path: Path, data: Any) -> None:
    """Write `data` as JSON atomically (temporary file + rename)."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (a lock file next to the state it guards)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def kubeconfig_path(explicit: str | None) -> Path:
    """The kubeconfig kind writes: the flag, else the first entry of `$KUBECONFIG`, else ~/.kube/config."""
    if explicit:
        return Path(explicit).expanduser()
    for part in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if part.strip():
            return Path(part.strip()).expanduser()
    return Path.home() / ".kube" / "config"
