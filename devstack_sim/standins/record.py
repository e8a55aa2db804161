"""Records shared by the stand-ins: the invocation log and the local image store (`images.json`)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from devstack_sim.standins.home import locked, read_json, write_json

INVOCATIONS = "invocations.jsonl"
IMAGES = "images.json"


def record_invocation(home: Path, tool: str, argv: list[str]) -> None:
    """Append `{"tool","argv","cwd","kubeconfig_env","time"}` to `invocations.jsonl`."""
    entry = {
        "tool": tool,
        "argv": list(argv),
        "cwd": os.getcwd(),
        "kubeconfig_env": os.environ.get("KUBECONFIG"),
        "time": time.time(),
        "pid": os.getpid(),
    }
    line = json.dumps(entry, sort_keys=True) + "\n"
    path = home / INVOCATIONS
    with locked(home / ".invocations.lock"), open(path, "a", encoding="utf-8") as handle:
        handle.write(line)


def read_invocations(home: Path) -> list[dict[str, Any]]:
    """Every recorded invocation, oldest first (for tests and diagnostics)."""
    try:
        lines = (home / INVOCATIONS).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def built_images(home: Path) -> dict[str, dict[str, Any]]:
    """`IMAGE:TAG` → what the skaffold stand-in recorded when it built it (id, context, time)."""
    data = read_json(home / IMAGES, {})
    return data if isinstance(data, dict) else {}


def record_built(home: Path, ref: str, image_id: str, context: str) -> None:
    """Remember that `ref` (`IMAGE:TAG`) was built from `context`, with the given image id."""
    with locked(home / ".images.lock"):
        data = built_images(home)
        data[ref] = {"id": image_id, "context": context, "time": time.time()}
        write_json(home / IMAGES, data)


def fail(message: str, code: int = 1) -> int:
    """Print `message` on stderr and return `code` (for `return fail(...)` in CLI mains)."""
    print(message, file=sys.stderr, flush=True)
    return code
