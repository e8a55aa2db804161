"""Whether the first-run walkthrough was seen: `tour.json` in devstack's state dir."""

from __future__ import annotations

import json
import time
from pathlib import Path


def tour_file(state_dir: Path) -> Path:
    """`<state dir>/tour.json`."""
    return state_dir / "tour.json"


def tour_seen(state_dir: Path | None) -> bool:
    """The walkthrough was shown before (finished or skipped); never without a state dir."""
    if state_dir is None:
        return False
    try:
        return bool(json.loads(tour_file(state_dir).read_text(encoding="utf-8")).get("seen"))
    except (OSError, ValueError, AttributeError):
        return False


def mark_tour(state_dir: Path | None, completed: bool) -> None:
    """Remember that the walkthrough was seen (and whether the stack came up in it)."""
    if state_dir is None:
        return
    path = tour_file(state_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seen": True, "completed": completed, "at": time.time()}), "utf-8")
    except OSError:
        return
