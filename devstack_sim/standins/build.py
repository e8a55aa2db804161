"""The build phase of the skaffold stand-in: tags from the sources, the cache, simulated builds.

Nothing can really be built here (no base images, no registry), so a build prints BuildKit-like
lines for the artifact's Dockerfile and records `IMAGE:TAG` in `$DEVSTACK_SIM_HOME/images.json`,
the stand-ins' local image store (`kind load` finds images there). The tag is a short digest of
the artifact's context folder (files ignored by a simple `.dockerignore` reading left out), like
skaffold's `inputDigest` tag policy: unchanged sources give the same tag and `Found Locally`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devstack_sim.standins.record import built_images, record_built

if TYPE_CHECKING:
    from devstack_sim.standins.events import EventLog

TAG_LENGTH = 12
_ALWAYS_IGNORED = ("__pycache__", "*.pyc", ".git")

Out = Callable[[str], None]


@dataclass(frozen=True)
class Artifact:
    """One `build.artifacts` entry with its tag for this iteration."""

    image: str
    context: Path
    dockerfile: str
    tag: str

    @property
    def ref(self) -> str:
        """`IMAGE:TAG`."""
        return f"{self.image}:{self.tag}"

    @property
    def image_id(self) -> str:
        """A stable image id for this ref."""
        return "sha256:" + hashlib.sha256(self.ref.encode()).hexdigest()


def _ignored(context: Path) -> list[str]:
    patterns = list(_ALWAYS_IGNORED)
    try:
        lines = (context / ".dockerignore").read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    patterns += [line.strip().lstrip("/") for line in lines if line.strip() and not line.startswith("#")]
    return patterns


def context_files(context: Path) -> list[Path]:
    """The files of a build context that go into the image, sorted."""
    patterns = _ignored(context)
    found = []
    for folder, dirs, files in os.walk(context):
        rel_dir = Path(folder).relative_to(context)
        dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in patterns))
        for name in sorted(files):
            rel = (rel_dir / name).as_posix()
            if any(fnmatch.fnmatch(rel, p) or fnmatch.fnmatch(name, p) for p in patterns):
                continue
            found.append(Path(folder) / name)
    return found


def fingerprint(context: Path) -> tuple[tuple[str, int, int], ...]:
    """A cheap change detector: (path, size, mtime_ns) of every context file."""
    result = []
    for path in context_files(context):
        try:
            stat = path.stat()
        except OSError:
            continue
        result.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(result)


def digest(context: Path, dockerfile: str) -> str:
    """The short content digest of a context (paths and bytes of its files)."""
    sha = hashlib.sha256(dockerfile.encode() + b"\0")
    for path in context_files(context):
        sha.update(path.relative_to(context).as_posix().encode() + b"\0")
        try:
            sha.update(path.read_bytes())
        except OSError:
            continue
        sha.update(b"\0")
    return sha.hexdigest()[:TAG_LENGTH]


def artifacts(raw: list[dict[str, Any]], root: Path) -> list[Artifact]:
    """The artifacts of the config, each tagged from its current sources."""
    result = []
    for entry in raw:
        context = (root / str(entry.get("context") or ".")).resolve()
        dockerfile = str((entry.get("docker") or {}).get("dockerfile") or "Dockerfile")
        result.append(Artifact(str(entry["image"]), context, dockerfile, digest(context, dockerfile)))
    return result


def _dockerfile_steps(artifact: Artifact) -> list[str]:
    try:
        lines = (artifact.context / artifact.dockerfile).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    steps = []
    for line in lines:
        text = line.strip()
        if (
            text
            and not text.startswith("#")
            and text.split()[0].upper() in ("FROM", "RUN", "COPY", "ADD", "WORKDIR")
        ):
            steps.append(text)
    return steps


def build_lines(artifact: Artifact) -> list[str]:
    """Plausible BuildKit output for the artifact."""
    steps = _dockerfile_steps(artifact) or [f"FROM {artifact.image}"]
    size = sum(p.stat().st_size for p in context_files(artifact.context) if p.exists())
    out = ['#0 building with "default" instance using docker driver', ""]
    out += [
        "#1 [internal] load build definition from " + artifact.dockerfile,
        f"#1 transferring dockerfile: {len(chr(10).join(steps))}B done",
        "#1 DONE 0.0s",
        "",
        "#2 [internal] load .dockerignore",
        "#2 transferring context: 2B done",
        "#2 DONE 0.0s",
        "",
        "#3 [internal] load build context",
        f"#3 transferring context: {size / 1000:.2f}kB done",
        "#3 DONE 0.0s",
        "",
    ]
    number = 4
    for index, step in enumerate(steps, 1):
        out += [
            f"#{number} [{index}/{len(steps)}] {step}",
            f"#{number} {'CACHED' if index == 1 else 'DONE 0.0s'}",
            "",
        ]
        number += 1
    out += [
        f"#{number} exporting to image",
        f"#{number} exporting layers done",
        f"#{number} writing image {artifact.image_id} done",
        f"#{number} naming to docker.io/library/{artifact.ref} done",
        f"#{number} DONE 0.0s",
    ]
    return out


def build(
    home: Path,
    items: list[Artifact],
    out: Out,
    use_cache: bool = True,
    parallel: bool = False,
    events: EventLog | None = None,
) -> None:
    """Print skaffold's tag, cache and build lines; record every built image.

    With `events`, each cache check and build is also a `buildSubtaskEvent` (Cache: Succeeded is a
    hit, Failed a miss; Build: InProgress, then Succeeded), emitted next to the line that says it.
    """

    def event(artifact: Artifact, step: str, status: str) -> None:
        if events is not None:
            events.build_step(artifact.image, step, status)

    out("Generating tags...")
    for artifact in items:
        out(f" - {artifact.image} -> {artifact.ref}")
    known = built_images(home) if use_cache else {}
    to_build = []
    if use_cache:
        out("Checking cache...")
        for artifact in items:
            event(artifact, "Cache", "InProgress")
            if artifact.ref in known:
                out(f" - {artifact.image}: Found Locally")
                event(artifact, "Cache", "Succeeded")
            else:
                out(f" - {artifact.image}: Not found. Building")
                event(artifact, "Cache", "Failed")
                to_build.append(artifact)
    else:
        to_build = list(items)
    if to_build:
        out("Starting build...")
        if parallel and len(to_build) > 1:
            out(f"Building {len(to_build)} artifacts in parallel")
        for artifact in to_build:
            event(artifact, "Build", "InProgress")
            out(f"Building [{artifact.image}]...")
            out("Target platforms: [linux/amd64]")
            for line in build_lines(artifact):
                out(line)
            record_built(home, artifact.ref, artifact.image_id, str(artifact.context))
            out(f"Build [{artifact.image}] succeeded")
            event(artifact, "Build", "Succeeded")
