"""The Skaffold release the stand-in claims to be, and the config versions that release reads.

`skaffold version` prints `$DEVSTACK_SIM_SKAFFOLD_VERSION` (default `v2.19.0`, the first release
reading `skaffold/v4beta14`). Like the real binary, a release knows only the config versions that
existed when it shipped (Skaffold's docs-v2/content/en/schemas/version-mappings/*-version.json
and CHANGELOG.md); any other `apiVersion` stops it with real Skaffold's words:
`parsing skaffold config: error parsing skaffold configuration file: unknown skaffold config API
version "skaffold/v4beta14". Set the config 'apiVersion' to a known value. Check
https://skaffold.dev/docs/references/yaml/ for the list of valid API versions. Otherwise, check
that your skaffold version is up-to-date.` (pkg/skaffold/schema, actionable error
UNKNOWN_API_VERSION; exit code 1).
"""

from __future__ import annotations

import os
import re

DEFAULT_VERSION = "v2.19.0"
ENV = "DEVSTACK_SIM_SKAFFOLD_VERSION"
INTRODUCED_IN: dict[str, tuple[int, int, int]] = {
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


def claimed_version() -> str:
    """What `skaffold version` prints."""
    return os.environ.get(ENV, "").strip() or DEFAULT_VERSION


def _parts(version: str) -> tuple[int, int, int]:
    match = re.match(r"v?(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"{ENV}={version!r} is not a version like v2.19.0")
    major, minor, patch = (int(x) for x in match.groups())
    return major, minor, patch


def reads(api_version: str, version: str | None = None) -> bool:
    """Whether the claimed release knows `api_version`."""
    introduced = INTRODUCED_IN.get(api_version)
    return introduced is not None and _parts(version or claimed_version()) >= introduced


def unknown_version_message(api_version: str) -> str:
    """Real Skaffold's error for a config version it does not know."""
    return (
        "parsing skaffold config: error parsing skaffold configuration file: unknown skaffold config API "
        f"version \"{api_version}\". Set the config 'apiVersion' to a known value. Check "
        "https://skaffold.dev/docs/references/yaml/ for the list of valid API versions. Otherwise, check "
        "that your skaffold version is up-to-date."
    )
