"""Reading tool versions out of `--version` output, and comparing them."""

from __future__ import annotations

import re

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")

Version = tuple[int, int, int]


def parse_version(text: str) -> Version | None:
    """The first `X.Y[.Z]` in `text` (an optional leading `v`), or None."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def format_version(version: Version) -> str:
    """`(1, 32, 4)` → `v1.32.4`."""
    return "v" + ".".join(str(part) for part in version)


def meets(found: Version, minimum: Version) -> bool:
    """Whether `found` is at least `minimum`."""
    return found >= minimum
