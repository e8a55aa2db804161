"""Whether the first-run walkthrough was seen: `tour.json` in the XDG state dir."""

from __future__ import annotations

import json
import time
from pathlib import Path

from devstack.paths import state_dir


def tour_file() -> Path:
    """`$XDG_STATE_HOME/devstack/tour.json`."""
    return state_dir() / "tour.json"


def tour_seen() -> bool:
    """The walkthrough was shown before (finished or skipped)."""
    try:
        return bool(json.loads(tour_file().read_text(encoding="utf-8")).get("seen"))
    except (OSError, ValueError, AttributeError):
        return False


def mark_tour(completed: bool) -> None:
    """Remember that the walkthrough was seen (and whether the stack came up in it)."""
    path = tour_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seen": True, "completed": completed, "at": time.time()}), "utf-8")
    except OSError:
        return
