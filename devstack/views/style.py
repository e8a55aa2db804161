"""Symbols and colours that say the same thing (colour is never the only signal).

Whether to colour at all is `Settings.colour(stream)` (NO_COLOR wins).
"""

from __future__ import annotations

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


def mark(status: str, colour: bool) -> str:
    """The symbol for a status, coloured when `colour` is on."""
    symbol = SYMBOLS.get(status, "?")
    if not colour:
        return symbol
    import click

    return click.style(symbol, fg=COLOURS.get(status), bold=True)
