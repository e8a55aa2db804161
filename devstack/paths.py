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


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/devstack` (downloaded schemas, node images)."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "devstack"


def config_dir() -> Path:
    """`$XDG_CONFIG_HOME/devstack`."""
    return _xdg("XDG_CONFIG_HOME", ".config") / "devstack"
