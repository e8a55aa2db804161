"""Reading tool versions out of `--version` output, and comparing them."""

from __future__ import annotations

import re

_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?")

Version = tuple[int, int, int]

HELM_MINIMUM: Version = (3, 19, 0)
"""The oldest helm devstack works with: the chart's values schemas are JSON Schema 2020-12 (helm
reads those from 3.18 on), and `devstack validate` renders with it. The doctor and `validate` say
the same (the README too: tests/devstack/test_texts.py compares them)."""


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
