"""Kubernetes object schemas, read from the JSON schemas the `kubernetes-validate` package ships.

One folder per Kubernetes version holds `_definitions.json` (every definition under `$defs`, with
the `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` extensions). The simulator uses
them for the OpenAPI v3 documents kubectl reads, for strategic-merge patch strategies and for
unknown-field detection (`fieldValidation`). Loaded once, lazily.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

Schema = dict[str, Any]
TARGET_VERSION = (1, 33)
_REF_PREFIX = "#/$defs/"


def _folder_version(name: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local", name)
    return (int(match.group(1)), int(match.group(2))) if match else None


@functools.cache
def definitions() -> dict[str, Schema]:
    """Every definition by its OpenAPI name (`io.k8s.api.apps.v1.Deployment`), for 1.33 or nearest."""
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    folders = {
        version: entry for entry in root.iterdir() if (version := _folder_version(entry.name)) is not None
    }
    if not folders:
        raise RuntimeError("kubernetes-validate ships no schema folders")
    best = min(
        folders, key=lambda v: (abs(v[0] * 100 + v[1] - (TARGET_VERSION[0] * 100 + TARGET_VERSION[1])), v)
    )
    data = json.loads(folders[best].joinpath("_definitions.json").read_text(encoding="utf-8"))
    defs: dict[str, Schema] = data["$defs"]
    return defs


def ref_name(schema: Schema) -> str | None:
    """The definition name a `$ref` points at, or None."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
        return ref[len(_REF_PREFIX) :]
    return None


def resolve(schema: Schema | None) -> Schema | None:
    """Follow `$ref` (also inside a single-entry `allOf`) to the referenced definition."""
    seen = 0
    while schema is not None and seen < 10:
        name = ref_name(schema)
        if name is None and isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            name = ref_name(schema["allOf"][0])
        if name is None:
            return schema
        schema = definitions().get(name)
        seen += 1
    return schema


@functools.cache
def gvk_index() -> dict[tuple[str, str, str], str]:
    """Definition name by (group, version, kind)."""
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in definitions().items():
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            index[(gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))] = name
    return index


def for_kind(group: str, version: str, kind: str) -> Schema | None:
    """The schema of a top-level kind, or None when unknown."""
    name = gvk_index().get((group, version, kind))
    return definitions().get(name) if name else None


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition name of a top-level kind, or None."""
    return gvk_index().get((group, version, kind))


@dataclass(frozen=True)
class FieldMeta:
    """What a schema says about one field of an object."""

    schema: Schema | None
    strategy: tuple[str, ...] = ()
    merge_key: str | None = None


def field(schema: Schema | None, key: str) -> FieldMeta:
    """Metadata of field `key` of an object `schema` (None schema → unknown field, no strategy)."""
    node = resolve(schema)
    if node is None:
        return FieldMeta(None)
    props = node.get("properties")
    if isinstance(props, dict) and key in props:
        prop = props[key]
    elif isinstance(node.get("additionalProperties"), dict):
        prop = node["additionalProperties"]
    else:
        return FieldMeta(None)
    strategy = tuple(s for s in str(prop.get("x-kubernetes-patch-strategy", "")).split(",") if s)
    return FieldMeta(resolve(prop), strategy, prop.get("x-kubernetes-patch-merge-key"))


def items(schema: Schema | None) -> Schema | None:
    """The element schema of an array schema."""
    node = resolve(schema)
    if node is None or not isinstance(node.get("items"), dict):
        return None
    return resolve(node["items"])


def is_free_form(schema: Schema | None) -> bool:
    """Whether a schema accepts any keys (no `properties`, or `x-kubernetes-preserve-unknown-fields`)."""
    node = resolve(schema)
    if node is None:
        return True
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return True
    if "oneOf" in node or "anyOf" in node:
        return True
    return "properties" not in node
