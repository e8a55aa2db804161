"""`docker_build` images for the tilt stand-in: simulated builds, Tilt's tags and log lines.

Nothing is really built (as with the skaffold stand-in, `build.py`): the Dockerfile is read and
checked, the build prints BuildKit-like steps, and `IMAGE:tilt-<hash>` is recorded in the local
image store (`images.json`) so `kind load` finds it. A build fails as Docker would when the context
or the Dockerfile is missing, on an unknown instruction, and on `RUN exit N` / `RUN false` (the
simulator's way to break a build on purpose). The tag is `tilt-` + 16 hex digits of the content
digest (Tilt's content-based `tilt-<hash>` tags; the exact hash input is the stand-in's own).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from devstack_sim.standins.build import context_files
from devstack_sim.standins.record import record_built
from devstack_sim.standins.tiltassembly import ImageBuild

_INSTRUCTIONS = frozenset(
    {
        *("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"),
        *("MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"),
    }
)
_EXIT = re.compile(r"^(?:exit\s+(?P<code>\d+)|false)\s*$")

Log = Callable[[str], None]


class BuildError(Exception):
    """The build failed (the message is the error Tilt shows in the resource's build history)."""


def _instructions(dockerfile: Path) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, arguments) of each instruction, continuation lines joined."""
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except OSError:
        raise BuildError(
            f"failed to solve: failed to read dockerfile: open {dockerfile.name}: no such file or directory"
        ) from None
    found: list[tuple[int, str, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        word, _, rest = whole.partition(" ")
        found.append((start, word.upper(), rest.strip()))
    return found


def tag(image: ImageBuild) -> str:
    """`tilt-<16 hex>` from the Dockerfile and the context's files."""
    sha = hashlib.sha256()
    try:
        sha.update(image.dockerfile.read_bytes())
    except OSError:
        sha.update(b"<missing>")
    if image.context.is_dir():
        for path in context_files(image.context):
            sha.update(path.relative_to(image.context).as_posix().encode() + b"\0")
            try:
                sha.update(path.read_bytes())
            except OSError:
                continue
    return "tilt-" + sha.hexdigest()[:16]


def build(home: Path, image: ImageBuild, log: Log) -> str:
    """Build one image: log Tilt's lines, record the result; returns `REF:tilt-<hash>`.

    Raises:
        BuildError: the context or Dockerfile is missing or a step fails.
    """
    log("Building Dockerfile for platform linux/amd64:")
    if not image.context.is_dir():
        raise BuildError(f'unable to prepare context: path "{image.context}" not found')
    steps = _instructions(image.dockerfile)
    for _, word, rest in steps:
        log(f"  {word} {rest}")
    log("")
    for line, word, _ in steps:
        if word not in _INSTRUCTIONS:
            raise BuildError(
                f"failed to solve: dockerfile parse error on line {line}: unknown instruction: {word}"
            )
    runnable = [(word, rest) for _, word, rest in steps if word in ("FROM", "RUN", "COPY", "ADD", "WORKDIR")]
    for index, (word, rest) in enumerate(runnable, 1):
        log(f"     [{index}/{len(runnable)}] {word} {rest}")
        failed = _EXIT.match(rest) if word == "RUN" else None
        if failed:
            code = int(failed["code"] or 1)
            log(f'     ERROR: process "/bin/sh -c {rest}" did not complete successfully: exit code: {code}')
            failure = f'process "/bin/sh -c {rest}" did not complete successfully: exit code: {code}'
            raise BuildError(f"failed to solve: {failure}")
    ref = f"{image.ref}:{tag(image)}"
    image_id = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
    log("     exporting to image")
    log(f"     naming to docker.io/library/{ref} done")
    record_built(home, ref, image_id, str(image.context))
    return ref
