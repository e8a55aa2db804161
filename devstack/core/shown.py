"""How values from the user's files appear in messages: short, printable, on one line.

The one copy of that rule: profile errors, `devstack validate` problems and YAML loader errors all
show values through `show_value` and whole messages through `printable`, so a NUL byte, a terminal
escape or a 2 MB string in a file never reaches the terminal as it is.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

SHOWN_CHARS = 60
"""Characters of a value shown in a message before it is cut."""
MESSAGE_CHARS = 400
"""Characters of a whole message line (file, line, field and problem) before it is cut."""
_BIG_INT_BITS = 4000  # ~1,200 digits: beyond this an int is named by its size, never converted to text
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Control characters, invisible formatting (bidi overrides, zero-width), line/paragraph separators
# and lone surrogates: never part of a name, URL or path a person means to write.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def escape_char(char: str) -> str:
    """A non-printable character as a visible escape: ``\\n``, ``\\x00``, ``\\u202e``."""
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, limit: int | None = MESSAGE_CHARS) -> str:
    """``text`` with every non-printable character escaped, cut after ``limit`` characters.

    Args:
        text: Any text, e.g. a message that quotes a user's file.
        limit: Characters kept before the cut (None keeps everything); a cut text ends with
            ``… (N characters)``.
    """
    cut = text if limit is None or len(text) <= limit else text[:limit]
    shown = "".join(char if char.isprintable() else escape_char(char) for char in cut)
    return shown if cut is text else f"{shown}… ({len(text)} characters)"


def show_value(value: Any) -> str:
    """A value as an error message shows it: short, printable, and saying what kind it is."""
    if isinstance(value, str):
        head = printable(json.dumps(value[:SHOWN_CHARS], ensure_ascii=False), None)
        return head if len(value) <= SHOWN_CHARS else f'{head[:-1]}…" ({len(value)} characters)'
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and value.bit_length() > _BIG_INT_BITS:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    return printable(repr(value), SHOWN_CHARS)


def first_control_char(text: str) -> str | None:
    """The first control, invisible-formatting or separator character in ``text``, if any."""
    if text.isprintable():
        return None  # the common case, at C speed; what follows also lets no-break spaces through
    return next((char for char in text if unicodedata.category(char) in _CONTROL_CATEGORIES), None)
