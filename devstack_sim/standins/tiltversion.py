"""The Tilt release the stand-in claims to be (TILT.md §7): `v0.37.6, built 2026-07-28` unless
`$DEVSTACK_SIM_TILT_VERSION` (e.g. `0.35.2` or `v0.35.2`) says otherwise. Behaviour that changed
between releases follows the claimed one: `--log-*` flags from v0.34.0, `ci --namespace` from
v0.33.7, Helm v4 from v0.36.0, `tilt --version` from v0.37.0, HUD token auth from v0.37.4."""

from __future__ import annotations

import os
import re

ENV = "DEVSTACK_SIM_TILT_VERSION"
DEFAULT = "0.37.6"
BUILT = "2026-07-28"


def claimed() -> tuple[int, int, int]:
    """(major, minor, patch) of the claimed release.

    Raises:
        ValueError: the environment variable is not a version.
    """
    text = os.environ.get(ENV, "").strip() or DEFAULT
    found = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", text)
    if found is None:
        raise ValueError(f"{ENV}={text!r} is not a version like 0.37.6")
    return int(found[1]), int(found[2]), int(found[3])


def at_least(version: tuple[int, int, int]) -> bool:
    """Whether the claimed release is `version` or newer."""
    return claimed() >= version


def stamp() -> str:
    """`HumanBuildStamp`: `v0.37.6, built 2026-07-28`."""
    major, minor, patch = claimed()
    return f"v{major}.{minor}.{patch}, built {BUILT}"
