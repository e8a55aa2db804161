"""Tilt's log stream on stdout for the tilt stand-in (stream mode, TILT.md §1.3).

Resource lines are prefixed by the name right-aligned in 13 columns (longer names cut to 12
characters + `…`) and ` │ `; `(Tiltfile)` and global lines have no prefix; warning and error lines
start with `WARNING: ` / `ERROR: ` (pkg/model/logstore/prefix.go, logline.go).
"""

from __future__ import annotations

import sys
import threading

from devstack_sim.standins.tiltstate import TILTFILE


def source_prefix(name: str) -> str:
    """`logstore.SourcePrefix`: the resource column of a stream-mode line."""
    if not name or name == TILTFILE:
        return ""
    shown = name if len(name) <= 13 else name[:12] + "…"
    return f"{shown:>13} │ "


class Exit(Exception):
    """End the command with this exit code."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class TiltLog:
    """Writes Tilt's stream to stdout, one whole line at a time (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def line(self, resource: str, text: str, level: str = "") -> None:
        """One line of a resource's log (`""` for the global log)."""
        prefix = source_prefix(resource)
        lead = f"{level}: " if level else ""
        with self._lock:
            for part in (text.splitlines() or [""]) if text else [""]:
                print(f"{prefix}{lead}{part}", flush=True)
                lead = ""

    def raw(self, text: str) -> None:
        """A line without any prefix (start lines, SUCCESS)."""
        with self._lock:
            print(text, flush=True)

    @staticmethod
    def error(text: str) -> None:
        """`Error: ...` on stderr (cobra's error path)."""
        print(f"Error: {text}", file=sys.stderr, flush=True)
