"""Which Skaffold release first reads each `skaffold.yaml` apiVersion, and what that means here.

Source: Skaffold's own repository — `docs-v2/content/en/schemas/version-mappings/<version>-version.json`
(`binVersion`, e.g. v4beta14 → 2.19.0, v4beta13 → 2.15.0, v4beta10 → 2.11.0, v3 → 2.0.0,
v4beta1 → 2.0.2) and the matching release notes in CHANGELOG.md ("This release comes with a new
config version, `v4betaN`"): v4beta2 2.1.0, v4beta3 2.2.0, v4beta4 2.3.0, v4beta5 2.4.0,
v4beta6 2.6.0, v4beta7 2.8.0, v4beta8 2.9.0, v4beta9 2.10.0, v4beta11 2.12.0, v4beta12 2.14.0,
v4beta14 2.19.0 (released 2026-04-23). A Skaffold older than the release that introduced a
config version stops with `unknown skaffold config API version "skaffold/v4betaN"`; newer ones
read older versions (they upgrade them in memory), so the minimum is the introducing release.
"""

from __future__ import annotations

from devstack.core.versions import Version, format_version

FIRST_READ_BY: dict[str, Version] = {
    "skaffold/v3": (2, 0, 0),
    "skaffold/v4beta1": (2, 0, 2),
    "skaffold/v4beta2": (2, 1, 0),
    "skaffold/v4beta3": (2, 2, 0),
    "skaffold/v4beta4": (2, 3, 0),
    "skaffold/v4beta5": (2, 4, 0),
    "skaffold/v4beta6": (2, 6, 0),
    "skaffold/v4beta7": (2, 8, 0),
    "skaffold/v4beta8": (2, 9, 0),
    "skaffold/v4beta9": (2, 10, 0),
    "skaffold/v4beta10": (2, 11, 0),
    "skaffold/v4beta11": (2, 12, 0),
    "skaffold/v4beta12": (2, 14, 0),
    "skaffold/v4beta13": (2, 15, 0),
    "skaffold/v4beta14": (2, 19, 0),
}
"""apiVersion → the first Skaffold release that reads it."""

NEWEST_KNOWN = "skaffold/v4beta14"


def minimum_for(api_version: str) -> Version | None:
    """The oldest Skaffold that reads `api_version` (None: older configs any Skaffold 2 reads, or
    versions newer than this table)."""
    return FIRST_READ_BY.get(api_version)


def newer_than_known(api_version: str) -> bool:
    """`api_version` is a v4beta newer than the table (devstack cannot say which Skaffold reads it)."""
    prefix = "skaffold/v4beta"
    if not api_version.startswith(prefix) or not api_version[len(prefix) :].isdigit():
        return False
    return int(api_version[len(prefix) :]) > int(NEWEST_KNOWN[len(prefix) :])


def cannot_read(found: Version, api_version: str) -> str | None:
    """Why Skaffold `found` cannot read `api_version`, in words (None when it can)."""
    minimum = minimum_for(api_version)
    if minimum is None or found >= minimum:
        return None
    shown = format_version(found)[1:]
    return f"skaffold {shown} cannot read {api_version}; needs ≥ {format_version(minimum)[1:]}"
