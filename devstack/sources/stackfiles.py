"""The files a dev loop rebuilds on: which changed since the last iteration, and when they were saved.

The watched paths come from skaffold.yaml (what Skaffold itself watches): each artifact's build
context, each helm release's chart and values files, and skaffold.yaml. A snapshot holds the
modification time and size of every file under them (bounded: `MAX_FILES`; `.git`,
`node_modules`, `__pycache__` and hidden folders left out); the difference of two snapshots is the
change that triggered an iteration, and the file times say when it was saved.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.yamlfile import Problem, load_yaml

MAX_FILES = 20_000
SKIPPED_DIRS = frozenset({".git", "node_modules", "__pycache__", ".venv", "venv"})
Snapshot = dict[str, tuple[int, int]]  # relative path → (mtime_ns, size)


@dataclass(frozen=True)
class Artifact:
    """One `build.artifacts` entry: its image, its context (relative to the stack), sync rules."""

    image: str
    context: str
    syncs: bool


@dataclass(frozen=True)
class Change:
    """What changed between two snapshots."""

    files: tuple[str, ...]
    saved_at: float | None
    by_artifact: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass
class StackFiles:
    """The watched paths of a stack (`from_skaffold`), and snapshots of them."""

    root: Path
    artifacts: tuple[Artifact, ...] = ()
    paths: tuple[str, ...] = ()
    baseline: Snapshot = field(default_factory=dict)
    syncs_known: bool = True
    """The artifacts' sync rules are known (skaffold.yaml); False for a Tiltfile, whose
    `live_update` devstack does not read: no timeline note then claims an image had none."""

    @classmethod
    def from_skaffold(cls, root: Path, skaffold_file: str) -> StackFiles:
        """The paths skaffold.yaml names (the whole stack when it cannot be read)."""
        loaded = load_yaml(root / skaffold_file, skaffold_file)
        config: Any = {} if isinstance(loaded, Problem) else loaded.data
        if not isinstance(config, dict):
            return cls(root, (), (".",))
        artifacts = []
        for raw in _list(_get(config, "build", "artifacts")):
            if isinstance(raw, dict) and isinstance(raw.get("image"), str):
                context = str(raw.get("context") or ".")
                artifacts.append(Artifact(raw["image"], _clean(context), bool(raw.get("sync"))))
        paths = [a.context for a in artifacts]
        for release in _list(_get(config, "deploy", "helm", "releases")):
            if isinstance(release, dict):
                paths += [str(release["chartPath"])] if isinstance(release.get("chartPath"), str) else []
                paths += [str(v) for v in _list(release.get("valuesFiles")) if isinstance(v, str)]
        paths.append(skaffold_file)
        return cls(root, tuple(artifacts), tuple(dict.fromkeys(_clean(p) for p in paths)))

    @property
    def sync_rules(self) -> tuple[str, ...]:
        """The artifacts that have sync rules."""
        return tuple(a.image for a in self.artifacts if a.syncs)

    def snapshot(self) -> Snapshot:
        """(mtime_ns, size) of every watched file, at most `MAX_FILES`."""
        found: Snapshot = {}
        for rel in self.paths:
            top = self.root / rel
            if top.is_file():
                _add(found, self.root, top)
                continue
            for folder, dirs, files in os.walk(top):
                dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
                for name in sorted(files):
                    if len(found) >= MAX_FILES:
                        return found
                    _add(found, self.root, Path(folder) / name)
        return found

    def mark(self) -> None:
        """Take the baseline the next `changes` compares against."""
        self.baseline = self.snapshot()

    def changes(self, before: float | None = None) -> Change:
        """The files changed since the baseline (which becomes the current snapshot).

        `saved_at` is the earliest modification time among the changed files that is not after
        `before` (the iteration's start): when the change that started it was saved.
        """
        current = self.snapshot()
        paths = current.keys() | self.baseline.keys()
        changed = sorted(path for path in paths if current.get(path) != self.baseline.get(path))
        self.baseline = current
        times = [current[p][0] / 1e9 for p in changed if p in current]
        if before is not None:
            times = [t for t in times if t <= before]
        by_artifact = []
        for artifact in self.artifacts:
            prefix = "" if artifact.context in ("", ".") else artifact.context.rstrip("/") + "/"
            mine = tuple(p for p in changed if p.startswith(prefix))
            if mine:
                by_artifact.append((artifact.image, mine))
        return Change(tuple(changed), min(times) if times else None, tuple(by_artifact))


def _add(found: Snapshot, root: Path, path: Path) -> None:
    try:
        stat = path.stat()
        shown = path.relative_to(root).as_posix()
    except (OSError, ValueError):
        return  # gone meanwhile, or outside the stack
    found[shown] = (stat.st_mtime_ns, stat.st_size)


def _clean(path: str) -> str:
    return Path(path).as_posix().removeprefix("./") or "."


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
