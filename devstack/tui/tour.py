"""Whether the first-run walkthrough was seen: `tour.json` in devstack's state dir.

`devstack demo` remembers its own walkthrough (`demo-tour.json`): its first launch shows the
walkthrough even after plain `devstack` showed it, and the other way round.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

DEFAULT = "devstack"


def tour_file(state_dir: Path, name: str = DEFAULT) -> Path:
    """`<state dir>/tour.json` (`<state dir>/<name>-tour.json` for another walkthrough)."""
    return state_dir / ("tour.json" if name == DEFAULT else f"{name}-tour.json")


def tour_seen(state_dir: Path | None, name: str = DEFAULT) -> bool:
    """The walkthrough was shown before (finished or skipped); never without a state dir."""
    if state_dir is None:
        return False
    try:
        return bool(json.loads(tour_file(state_dir, name).read_text(encoding="utf-8")).get("seen"))
    except (OSError, ValueError, AttributeError):
        return False


def mark_tour(state_dir: Path | None, completed: bool, name: str = DEFAULT) -> None:
    """Remember that the walkthrough was seen (and whether the stack came up in it)."""
    if state_dir is None:
        return
    path = tour_file(state_dir, name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seen": True, "completed": completed, "at": time.time()}), "utf-8")
    except OSError:
        return
