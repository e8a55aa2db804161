"""Cells for the panes: level marks, ages, byte counts (symbol and colour always agree)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text

from devstack.views.style import COLOURS, SYMBOLS

if TYPE_CHECKING:
    from devstack.core.model import Level


def style_of(status: str) -> str:
    """The Rich style for a status word (ok, warning, error, progressing, pending, ...)."""
    colour = COLOURS.get(status, "")
    return f"bold {colour}" if status in ("error", "fail", "failed") else colour


def mark(status: str) -> Text:
    """The symbol of a status (✓ ! ✗ … · -), coloured the same way as the headless views."""
    return Text(SYMBOLS.get(status, "?"), style=style_of(status))


def level_mark(level: Level) -> Text:
    """The symbol of a health level."""
    return mark(level.value)


def coloured(text: str, status: str) -> Text:
    """`text` in the colour of `status`."""
    return Text(text, style=style_of(status))


def parse_time(stamp: str) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp ("" → None)."""
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def age(seconds: float | None) -> str:
    """`kubectl`-style age: 42s, 5m, 3h, 2d (— when unknown)."""
    if seconds is None:
        return "—"
    value = max(0, int(seconds))
    if value < 120:
        return f"{value}s"
    if value < 2 * 3600:
        return f"{value // 60}m"
    if value < 2 * 86400:
        return f"{value // 3600}h"
    return f"{value // 86400}d"


def age_changes_in(seconds: float | None) -> float | None:
    """Seconds until `age(seconds)` shows another text (None: it never changes, e.g. "—").

    Every second below 2 minutes, then at the next whole minute, hour or day: an app showing
    only old objects repaints their ages once a minute at most, not every second.
    """
    if seconds is None:
        return None
    value = max(0.0, seconds)
    if value < 120:
        unit = 1.0
    elif value < 2 * 3600:
        unit = 60.0
    elif value < 2 * 86400:
        unit = 3600.0
    else:
        unit = 86400.0
    return unit - value % unit


def size(count: int) -> str:
    """Bytes as 512B, 1.2K, 3.4M."""
    value = float(count)
    for unit in ("B", "K", "M", "G"):
        if value < 1024 or unit == "G":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}G"
