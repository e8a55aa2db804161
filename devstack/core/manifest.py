"""An object as devstack shows it in YAML or JSON: `managedFields` hidden, a Secret's values hidden.

A Secret's `data` and `stringData` values become `<hidden: N bytes>`, and so does the
`last-applied-configuration` annotation that `kubectl apply` leaves on it (it holds the values too).
Keys named in `reveal` are shown decoded — only on request, one key at a time, in the terminal app.
"""

from __future__ import annotations

import base64
import binascii
import copy
from collections.abc import Mapping
from typing import Any

from devstack.core.describe_format import LAST_APPLIED

HIDDEN_ANNOTATION = "<hidden: it holds the Secret's values>"


def hidden(size: int) -> str:
    """What stands in for a Secret value of `size` bytes."""
    return f"<hidden: {size} bytes>"


def decoded(value: object) -> tuple[str, int]:
    """A `data` value decoded from base64 as text (undecodable bytes replaced), and its size in bytes."""
    try:
        raw = base64.b64decode(str(value), validate=False)
    except (binascii.Error, ValueError):
        return str(value), len(str(value).encode())
    return raw.decode("utf-8", errors="replace"), len(raw)


def shown_object(obj: Mapping[str, Any], reveal: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A copy of `obj` without `metadata.managedFields`; a Secret's values hidden unless in `reveal`."""
    shown: dict[str, Any] = copy.deepcopy(dict(obj))
    meta = shown.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if shown.get("kind") != "Secret":
        return shown
    if (
        isinstance(meta, dict)
        and isinstance(meta.get("annotations"), dict)
        and LAST_APPLIED in meta["annotations"]
    ):
        meta["annotations"][LAST_APPLIED] = HIDDEN_ANNOTATION
    data = shown.get("data")
    if isinstance(data, dict):
        for key, value in data.items():
            text, size = decoded(value)
            data[key] = text if key in reveal else hidden(size)
    string_data = shown.get("stringData")
    if isinstance(string_data, dict):
        for key, value in string_data.items():
            string_data[key] = str(value) if key in reveal else hidden(len(str(value).encode()))
    return shown


def secret_keys(obj: Mapping[str, Any]) -> list[str]:
    """The keys of a Secret (data and stringData), sorted; [] for any other kind."""
    if obj.get("kind") != "Secret":
        return []
    keys = {*(obj.get("data") or {}), *(obj.get("stringData") or {})}
    return sorted(str(k) for k in keys)
