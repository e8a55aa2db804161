"""Where devstack keeps its files (XDG base directories); pure functions, nothing created here."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, default: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if value and Path(value).is_absolute() else Path.home() / default


def state_dir() -> Path:
    """`$XDG_STATE_HOME/devstack` (first-run marker, crash logs)."""
    return _xdg("XDG_STATE_HOME", ".local/state") / "devstack"
