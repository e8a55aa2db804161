"""Check skaffold.yaml: the Skaffold schema of its `apiVersion`, and that every path it names exists.

The schemas ship with devstack as package data (`devstack/validation/schemas/skaffold-<v>.json`,
Skaffold's own `docs-v2/content/en/schemas/<v>.json`), read through importlib.resources, so
`validate` works in any folder and for an installed wheel. A version Skaffold knows but devstack
ships no schema for, and a version nobody knows, are one clear problem each, naming what is known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from devstack.core.shown import printable, show_value
from devstack.core.skaffold_versions import FIRST_READ_BY
from devstack.validation.schema import schema_problems
from devstack.yamlfile import KeyPath, Problem, YamlDoc, dotted, load_yaml

SKAFFOLD_FILE = "skaffold.yaml"
SCHEMA_FOLDER = "schemas"
"""Package data of `devstack.validation`: one `skaffold-<version>.json` per shipped config version."""
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
    known = shipped_versions()
    if version not in known:
        return [Problem(SKAFFOLD_FILE, doc.line(("apiVersion",)), _unknown_version(version, known))]
    try:
        schema = skaffold_schema(str(version))
    except (OSError, ValueError) as err:
        return [Problem(SKAFFOLD_FILE, None, f"cannot read devstack's schema for {version}: {err}")]
    problems = schema_problems(
        Draft7Validator(schema), doc.data, lambda path, key: (SKAFFOLD_FILE, doc.line(path, key))
    )
    return doc.duplicates + problems + _missing_paths(root, doc)


def shipped_versions() -> list[str]:
    """The Skaffold config versions devstack has a schema for, oldest first (`skaffold/v4beta14`)."""
    names = [entry.name for entry in resources.files(__package__).joinpath(SCHEMA_FOLDER).iterdir()]
    versions = [f"skaffold/{n[len('skaffold-') : -len('.json')]}" for n in names if n.startswith("skaffold-")]
    order = list(FIRST_READ_BY)
    return sorted(versions, key=lambda v: (order.index(v) if v in order else len(order), v))


@cache
def skaffold_schema(version: str) -> dict[str, Any]:
    """The JSON schema of Skaffold config `version` (one of `shipped_versions()`).

    Raises:
        OSError: the package data cannot be read.
        ValueError: it is not JSON.
    """
    name = f"skaffold-{version.removeprefix('skaffold/')}.json"
    text = resources.files(__package__).joinpath(SCHEMA_FOLDER, name).read_text(encoding="utf-8")
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ValueError(f"{name}: not a JSON schema object")
    return schema


def _unknown_version(version: Any, known: list[str]) -> str:
    shown = show_value(version)
    checked = ", ".join(known)
    if isinstance(version, str) and version in FIRST_READ_BY:
        return (
            f"apiVersion: {shown} is a Skaffold config version devstack has no schema for (it checks "
            f"{checked}); `skaffold fix --overwrite` upgrades the file"
        )
    return f"apiVersion: unknown Skaffold config version {shown}; known: {checked}"


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
