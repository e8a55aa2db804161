"""An object as YAML or JSON text, shaped by `core/manifest.py` (managedFields and Secret values hidden)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

from devstack.core.manifest import shown_object


def to_yaml(obj: Mapping[str, Any], reveal: frozenset[str] = frozenset()) -> str:
    """The object as block-style YAML, keys in the server's order."""
    return yaml.safe_dump(shown_object(obj, reveal), sort_keys=False, allow_unicode=True, width=120)


def to_json(obj: Mapping[str, Any]) -> str:
    """The object as indented JSON (values hidden as in the YAML)."""
    return json.dumps(shown_object(obj), indent=2, ensure_ascii=False)
