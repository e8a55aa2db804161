"""File watching of `tilt up` for the stand-in: a change under a `docker_build` context (or its
Dockerfile) queues the resources using that image; a change to the Tiltfile or to a file it read
(values files, charts, YAML) reloads the Tiltfile. Polled (size and mtime of each file) about once a
second; `tilt ci` does not watch. The log line is Tilt's `N File(s) Changed: [...]`."""

from __future__ import annotations

import os
from pathlib import Path

from devstack_sim.standins.build import context_files

Snapshot = dict[str, tuple[int, int]]


def snapshot(paths: list[Path]) -> Snapshot:
    """(size, mtime_ns) of every file under `paths` (folders walked, ignored files left out)."""
    found: Snapshot = {}
    for path in paths:
        files = context_files(path) if path.is_dir() else [path]
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                continue
            found[str(file)] = (stat.st_size, stat.st_mtime_ns)
    return found


class Watcher:
    """Remembers the last snapshot per key and says which files changed since."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen: dict[str, Snapshot] = {}

    def changed(self, key: str, paths: list[Path]) -> list[str]:
        """Files added, removed or modified under `paths` since the last call for `key` (none the
        first time), shown relative to the Tiltfile's folder."""
        current = snapshot(paths)
        previous = self._seen.get(key)
        self._seen[key] = current
        if previous is None:
            return []
        names = {n for n in current.keys() | previous.keys() if current.get(n) != previous.get(n)}
        return sorted(os.path.relpath(n, self.root) for n in names)

    def forget(self, key: str) -> None:
        """Start over for `key` (the next call only records)."""
        self._seen.pop(key, None)


def changed_line(files: list[str]) -> str:
    """`1 File Changed: [a]` / `3 Files Changed: [a b c]` (at most 5 names shown)."""
    shown = " ".join(files[:5]) + (" ..." if len(files) > 5 else "")
    return f"{len(files)} File{'s' if len(files) != 1 else ''} Changed: [{shown}]"
