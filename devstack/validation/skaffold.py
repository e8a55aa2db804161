"""Check skaffold.yaml: the v4beta14 schema, and that every path it names exists."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from devstack.core.shown import printable, show_value
from devstack.validation.schema import schema_problems
from devstack.yamlfile import KeyPath, Problem, YamlDoc, dotted, load_yaml

SKAFFOLD_FILE = "skaffold.yaml"
SCHEMA_FILE = Path("schemas") / "skaffold-v4beta14.json"
API_VERSION = "skaffold/v4beta14"
VALUES_PATCH = re.compile(r"^/deploy/helm/releases/\d+/valuesFiles(/\d+|/-)?$")


def check_skaffold(root: Path) -> list[Problem]:
    """Validate ``root/skaffold.yaml`` against the vendored schema and check the paths it names."""
    loaded = load_yaml(root / SKAFFOLD_FILE, SKAFFOLD_FILE)
    if isinstance(loaded, Problem):
        return [loaded]
    doc = loaded
    if not isinstance(doc.data, dict):
        return [Problem(SKAFFOLD_FILE, 1, "expected a skaffold Config mapping")]
    version = doc.data.get("apiVersion")
    if version != API_VERSION:
        line = doc.line(("apiVersion",))
        return [
            Problem(SKAFFOLD_FILE, line, f"apiVersion: expected {API_VERSION}, got {show_value(version)}")
        ]
    try:
        schema = json.loads((root / SCHEMA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [Problem(SCHEMA_FILE.as_posix(), None, f"cannot read the Skaffold schema: {err}")]
    problems = schema_problems(
        Draft7Validator(schema), doc.data, lambda path, key: (SKAFFOLD_FILE, doc.line(path, key))
    )
    return doc.duplicates + problems + _missing_paths(root, doc)


def _missing_paths(root: Path, doc: YamlDoc) -> list[Problem]:
    problems = []
    for path, value, kind in _named_paths(doc.data):
        if not isinstance(value, str) or "{{" in value:
            continue
        if not _exists(root / value, kind):
            problems.append(
                Problem(
                    SKAFFOLD_FILE, doc.line(path), f"{dotted(path)}: no such {kind}: {printable(value, None)}"
                )
            )
    return problems


def _exists(target: Path, kind: str) -> bool:
    try:
        return target.is_dir() if kind == "directory" else target.is_file()
    except (OSError, ValueError):  # a name too long to exist, or with a NUL byte
        return False


def _named_paths(config: dict[str, Any]) -> Iterator[tuple[KeyPath, Any, str]]:
    """Yield (key path, value, "file"|"directory") for each path in the config and its profiles."""
    sections: list[tuple[KeyPath, Any]] = [((), config)]
    sections += [(("profiles", i), p) for i, p in enumerate(_list(config.get("profiles")))]
    for base, section in sections:
        if not isinstance(section, dict):
            continue
        for i, artifact in enumerate(_list(_get(section, "build", "artifacts"))):
            yield from _artifact_paths((*base, "build", "artifacts", i), artifact)
        for i, release in enumerate(_list(_get(section, "deploy", "helm", "releases"))):
            yield from _release_paths((*base, "deploy", "helm", "releases", i), release)
        for i, patch in enumerate(_list(section.get("patches"))):
            if isinstance(patch, dict) and VALUES_PATCH.match(str(patch.get("path", ""))):
                value = patch.get("value")
                values = value if isinstance(value, list) else [value]
                at: KeyPath = (*base, "patches", i, "value")
                for j, item in enumerate(values):
                    yield ((*at, j) if isinstance(value, list) else at), item, "file"


def _artifact_paths(at: KeyPath, artifact: Any) -> Iterator[tuple[KeyPath, Any, str]]:
    if not isinstance(artifact, dict):
        return
    context = artifact.get("context", ".")
    yield (*at, "context"), context, "directory"
    dockerfile = _get(artifact, "docker", "dockerfile")
    if isinstance(context, str) and isinstance(dockerfile, str):
        yield (*at, "docker", "dockerfile"), str(Path(context) / dockerfile), "file"


def _release_paths(at: KeyPath, release: Any) -> Iterator[tuple[KeyPath, Any, str]]:
    if not isinstance(release, dict):
        return
    if "chartPath" in release:
        yield (*at, "chartPath"), release["chartPath"], "directory"
    for j, values in enumerate(_list(release.get("valuesFiles"))):
        yield (*at, "valuesFiles", j), values, "file"


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
