"""The timeline of a running dev loop, on disk, for the commands that are not that process.

The devstack running `up` (or the terminal app) writes its iterations to
`$XDG_STATE_HOME/devstack/timelines/<profile>@<context>.json` as they change; `devstack status`
and `devstack report` read them there. The document carries the writer's pid, so a reader can
tell a live loop from the last one of a devstack that has exited. Written atomically (0600).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import psutil

from devstack.sources.confine import write_private

FOLDER = "timelines"
MAX_BYTES = 1 << 20
MAX_FILES = 20  # one per profile and context; the oldest go (each demo has a context of its own)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def timeline_path(state_dir: Path, profile: str, context: str) -> Path:
    """Where the timeline of this profile and context is kept."""
    name = _UNSAFE.sub("_", f"{profile}@{context}")[:200]
    return state_dir / FOLDER / f"{name}.json"


def write(path: Path, document: dict[str, Any]) -> None:
    """Replace the file with `document` (plus the writer's pid and the time)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fresh = not path.exists()
    body = {**document, "pid": os.getpid(), "written_at": time.time()}
    write_private(path.parent, path.name, json.dumps(body, indent=1))
    if fresh:
        _prune(path.parent)


def _prune(folder: Path) -> None:
    """Keep the `MAX_FILES` newest timelines."""
    try:
        files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in files[MAX_FILES:]:
        old.unlink(missing_ok=True)


def read(path: Path) -> dict[str, Any] | None:
    """The document, with `live` (its writer still runs); None when absent or unreadable."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES:
        return None
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    pid = document.get("pid")
    document["live"] = isinstance(pid, int) and pid > 0 and psutil.pid_exists(pid)
    return document
