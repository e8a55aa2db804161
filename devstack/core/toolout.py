"""Reading the output lines of kind and skaffold (formats in `../shared/contracts/TOOLS.md`).

Pure string parsing: the deploy and cluster sources hand raw lines to the store, and the reducer
turns them into progress with these functions. For Skaffold this is the fallback: devstack
follows its event API v2 when it answers (`sources/skaffold_events.py`), and reads from the text
only what that API does not carry (the image load into kind, the tags used in the deployment)
and the lines shown in the Log pane.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_RESOURCE = r"(?:(?P<ns>[a-z0-9.-]+):)?deployment/(?P<name>[a-z0-9.-]+)"
_READY = re.compile(
    rf"^ - {_RESOURCE} is ready\.(?: \[(?P<pending>\d+)/(?P<total>\d+) deployment\(s\) still pending\])?$"
)
_FAILED = re.compile(rf"^ - {_RESOURCE} failed\. Error: (?P<error>.*?)\.?$")
_WAITING = re.compile(rf"^ - {_RESOURCE}: (?P<message>.+)$")
_BUILDING = re.compile(r"^Building \[(?P<image>[^\]]+)\]\.\.\.$")
_BUILT = re.compile(r"^Build \[(?P<image>[^\]]+)\] succeeded$")
_CACHE = re.compile(
    r"^ - (?P<image>[^:\s]+): (?P<status>Found Locally|Found Remotely|Not found\. Building|Found\. .*)$"
)
_LOADED = re.compile(r"^ - (?P<tag>\S+) -> (?P<status>Found|Loaded|Failed)$")
_TAG = re.compile(r"^ - (?P<image>[^\s:]+(?::\d+/[^\s:]+)?) -> (?P<ref>\S+)$")
_IMAGES_LOADED = re.compile(r"^Images loaded in (?P<duration>.+)$")
_STABILIZED = re.compile(r"^Deployments stabilized in (?P<duration>.+)$")
_FAILED_COUNT = re.compile(r"^(?P<failed>\d+)/(?P<total>\d+) deployment\(s\) failed$")
_PORT = re.compile(
    r"^Port forwarding (?P<kind>\w+)/(?P<name>\S+) in namespace (?P<ns>\S+), remote port (?P<remote>\S+) -> http://(?P<address>[^:]+):(?P<local>\d+)$"
)
_KIND_STEP = re.compile(r"^\s*[•✓✗]\s+(?P<text>.+?)\s*$")
_EMOJI = re.compile(r"[\U0001F000-\U0001FFFF\u2600-\u27BF\uFE0F\u23F3\u2696]")


def strip_ansi(line: str) -> str:
    """The line without terminal colour codes."""
    return _ANSI.sub("", line).rstrip("\r\n")


@dataclass(frozen=True)
class SkaffoldSignal:
    """What one skaffold output line means.

    `kind` is one of: tags, tag, cache, build-start, build-done, build-failed, deploy-start,
    image-load, images-loaded, stabilizing, rollout-waiting, rollout-ready, rollout-failed,
    stabilized, status-failed, watching, cleanup, port-forward, error.
    """

    kind: str
    subject: str = ""
    detail: str = ""


def parse_skaffold_line(raw: str) -> SkaffoldSignal | None:
    """Interpret one line of `skaffold run/dev` output (None for lines that carry no progress)."""
    line = strip_ansi(raw)
    simple = {
        "Generating tags...": "tags",
        "Checking cache...": "cache",
        "Starting deploy...": "deploy-start",
        "Waiting for deployments to stabilize...": "stabilizing",
        "Watching for changes...": "watching",
        "Cleaning up...": "cleanup",
        "Loading images into kind cluster nodes...": "image-load",
    }
    if line in simple:
        return SkaffoldSignal(simple[line])
    for pattern, kind in ((_BUILDING, "build-start"), (_BUILT, "build-done")):
        match = pattern.match(line)
        if match:
            return SkaffoldSignal(kind, match["image"])
    return _parse_status(line) or _parse_misc(line)


def _parse_status(line: str) -> SkaffoldSignal | None:
    match = _READY.match(line)
    if match:
        return SkaffoldSignal("rollout-ready", match["name"])
    match = _FAILED.match(line)
    if match:
        return SkaffoldSignal("rollout-failed", match["name"], match["error"])
    match = _STABILIZED.match(line)
    if match:
        return SkaffoldSignal("stabilized", "", match["duration"])
    match = _FAILED_COUNT.match(line)
    if match:
        return SkaffoldSignal("status-failed", "", line)
    match = _WAITING.match(line)
    if match:
        return SkaffoldSignal("rollout-waiting", match["name"], match["message"])
    return None


def _parse_misc(line: str) -> SkaffoldSignal | None:
    match = _CACHE.match(line)
    if match:
        return SkaffoldSignal("cache", match["image"], match["status"])
    match = _LOADED.match(line)
    if match:
        return SkaffoldSignal("image-load", match["tag"], match["status"])
    match = _IMAGES_LOADED.match(line)
    if match:
        return SkaffoldSignal("images-loaded", "", match["duration"])
    match = _TAG.match(line)
    if match and match["ref"].startswith(match["image"] + ":"):
        return SkaffoldSignal("tag", match["image"], match["ref"])
    match = _PORT.match(line)
    if match:
        return SkaffoldSignal("port-forward", f"{match['kind']}/{match['name']}", match["local"])
    if line.startswith("Build [") and "failed" in line:
        image = line[len("Build [") : line.index("]")] if "]" in line else ""
        return SkaffoldSignal("build-failed", image, line)
    lowered = line.lower()
    if (
        lowered.startswith(("error", "fatal"))
        or " error:" in lowered
        or line.startswith("exiting dev mode because")
    ):
        return SkaffoldSignal("error", "", line)
    return None


def kind_progress(raw: str) -> str | None:
    """The step text of a kind progress line (` • Preparing nodes 📦  ...` → `Preparing nodes`)."""
    line = strip_ansi(raw)
    match = _KIND_STEP.match(line)
    if match:
        text = _EMOJI.sub("", match["text"]).replace("...", "").strip()
        return text or None
    if line.startswith(("Creating cluster", "Deleting cluster", "ERROR:")):
        return line.strip()
    return None
