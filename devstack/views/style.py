"""Symbols and colours that say the same thing (colour is never the only signal; NO_COLOR wins)."""

from __future__ import annotations

import os
import sys
from typing import TextIO

SYMBOLS = {
    "ok": "✓",
    "warn": "!",
    "warning": "!",
    "fail": "✗",
    "error": "✗",
    "failed": "✗",
    "progressing": "…",
    "running": "…",
    "pending": "·",
    "skipped": "-",
}
COLOURS = {
    "ok": "green",
    "warn": "yellow",
    "warning": "yellow",
    "fail": "red",
    "error": "red",
    "failed": "red",
    "progressing": "cyan",
    "running": "cyan",
    "pending": "bright_black",
    "skipped": "bright_black",
}


def use_colour(stream: TextIO = sys.stdout) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def mark(status: str, colour: bool) -> str:
    """The symbol for a status, coloured when `colour` is on."""
    symbol = SYMBOLS.get(status, "?")
    if not colour:
        return symbol
    import click

    return click.style(symbol, fg=COLOURS.get(status), bold=True)
