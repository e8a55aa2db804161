"""What the deploy tool's files say a profile deploys: its skaffold profile, release, namespace and
values files (skaffold.yaml with the profile's patches, or the Tiltfile's `helm(...)`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.validation.skaffold import SKAFFOLD_FILE, VALUES_PATCH
from devstack.validation.tiltfile import TILTFILE, TiltFacts
from devstack.yamlfile import YamlDoc

RELEASE = ("deploy", "helm", "releases", 0)


@dataclass(frozen=True)
class Deployment:
    """The chart release one profile deploys.

    Attributes:
        release: Helm release name.
        namespace: Where it goes ("" when the file does not say).
        chart: The chart folder, relative to the stack root.
        values: Values files, relative to the stack root, in the order helm merges them.
        where: `file:line` that says so (the release, or the patch that set the values files).
    """

    release: str
    namespace: str
    values: tuple[str, ...]
    where: str
    chart: str = ""


def skaffold_profiles(doc: YamlDoc) -> dict[str, int]:
    """Skaffold profile names and the line each is defined on."""
    profiles = doc.data.get("profiles") if isinstance(doc.data, dict) else None
    found = {}
    for index, profile in enumerate(profiles if isinstance(profiles, list) else []):
        if isinstance(profile, dict) and isinstance(profile.get("name"), str):
            found[profile["name"]] = doc.line(("profiles", index, "name")) or 0
    return found


def skaffold_deployment(doc: YamlDoc, profile: str) -> Deployment | None:
    """The first helm release of skaffold.yaml as skaffold profile `profile` deploys it."""
    data = doc.data if isinstance(doc.data, dict) else {}
    release = _get(data, *RELEASE)
    if not isinstance(release, dict):
        return None
    values = [str(v) for v in release.get("valuesFiles") or [] if isinstance(v, str)]
    where = f"{SKAFFOLD_FILE}:{doc.line((*RELEASE, 'valuesFiles')) or doc.line(RELEASE)}"
    index = next((i for i, p in enumerate(data.get("profiles") or []) if _name(p) == profile), None)
    if index is not None:
        for number, patch in enumerate(data["profiles"][index].get("patches") or []):
            if isinstance(patch, dict) and VALUES_PATCH.match(str(patch.get("path", ""))):
                values = _patched(values, patch)
                where = f"{SKAFFOLD_FILE}:{doc.line(('profiles', index, 'patches', number))}"
    chart = str(release.get("chartPath") or "")
    name, namespace = str(release.get("name") or ""), str(release.get("namespace") or "")
    return Deployment(name, namespace, tuple(values), where, chart)


def tilt_deployment(facts: TiltFacts) -> Deployment | None:
    """The chart release the Tiltfile's `helm(...)` renders."""
    if not facts.helm_line:
        return None
    chart = facts.chart
    return Deployment(facts.release, facts.namespace, facts.values, f"{TILTFILE}:{facts.helm_line}", chart)


def _patched(values: list[str], patch: dict[str, Any]) -> list[str]:
    """The values files after one JSON patch on `/deploy/helm/releases/N/valuesFiles[/i|/-]`."""
    op, value = patch.get("op"), patch.get("value")
    tail = str(patch["path"]).rpartition("/valuesFiles")[2].lstrip("/")
    if tail == "":
        if op == "remove":
            return []
        return [str(v) for v in value] if isinstance(value, list) else values
    if op in ("add", "replace") and isinstance(value, str):
        if tail == "-":
            return [*values, value]
        position = int(tail)
        if op == "add":
            return [*values[:position], value, *values[position:]]
        return [*values[:position], value, *values[position + 1 :]]
    if op == "remove" and tail.isdigit():
        return [v for i, v in enumerate(values) if i != int(tail)]
    return values


def _name(profile: Any) -> str | None:
    return profile.get("name") if isinstance(profile, dict) else None


def _get(data: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(key, int):
            if not isinstance(data, list) or len(data) <= key:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[key] if isinstance(key, int) else data.get(key)
    return data


@dataclass(frozen=True)
class StackChart:
    """The chart a stack deploys, as `validate` renders it on its own.

    Attributes:
        folder: The chart folder, relative to the stack root (e.g. `charts/shop`).
        release: The release name to render as (skaffold.yaml's, else the chart folder's name).
        namespace: The namespace to render into (skaffold.yaml's, else `default`).
    """

    folder: str
    release: str
    namespace: str


def stack_chart(root: Path, skaffold: YamlDoc | None) -> StackChart | None:
    """skaffold.yaml's first helm release (no profile applied); without one, the one chart under
    `charts/` (a folder holding Chart.yaml); None when neither says."""
    base = skaffold_deployment(skaffold, "") if skaffold is not None else None
    if base is not None and base.chart:
        release = base.release if base.release and "{{" not in base.release else Path(base.chart).name
        namespace = base.namespace if base.namespace and "{{" not in base.namespace else "default"
        return StackChart(base.chart, release, namespace)
    charts = sorted(p.parent for p in (root / "charts").glob("*/Chart.yaml"))
    if len(charts) == 1:
        return StackChart(charts[0].relative_to(root).as_posix(), charts[0].name, "default")
    return None
