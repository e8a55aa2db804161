"""Small helpers shared by the controllers: owners, selectors, quantities, timestamps."""

from __future__ import annotations

import functools
import math
import re
import time
from datetime import UTC, datetime
from typing import Any

from devstack_sim.store import Change, Obj, now_rfc3339

__all__ = [
    "controller_ref",
    "int_or_percent",
    "match_selector",
    "now_rfc3339",
    "owner_reference",
    "parse_cpu_millis",
    "parse_memory_bytes",
    "parse_time",
    "rfc3339_nano",
    "spec_changed",
]

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def parse_quantity(value: Any) -> float:
    """A Kubernetes resource quantity (`500m`, `1.5`, `256Mi`, `1e3`) as a number.

    Raises:
        ValueError: the quantity is malformed.
    """
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def parse_cpu_millis(value: Any) -> int:
    """A CPU quantity in millicores (rounded up, as the scheduler does)."""
    return math.ceil(parse_quantity(value) * 1000 - 1e-9)


def parse_memory_bytes(value: Any) -> int:
    """A memory quantity in bytes."""
    return math.ceil(parse_quantity(value))


def rfc3339_nano(ns: int | None = None) -> str:
    """A timestamp with nine fraction digits, as the kubelet writes log lines."""
    ns = time.time_ns() if ns is None else ns
    seconds, frac = divmod(ns, 1_000_000_000)
    return f"{_rfc3339_seconds(seconds)}.{frac:09d}Z"


@functools.lru_cache(maxsize=4)
def _rfc3339_seconds(seconds: int) -> str:
    """The whole-seconds part (one `strftime` per second, not per log line of a busy pod)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def parse_time(value: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def owner_reference(obj: Obj, controller: bool = True) -> dict[str, Any]:
    """The ownerReference pointing at `obj` (controller and blockOwnerDeletion set)."""
    meta = obj["metadata"]
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def controller_ref(obj: Obj) -> dict[str, Any] | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def match_selector(selector: dict[str, Any] | None, labels: dict[str, str] | None) -> bool:
    """Tell whether labels pass a LabelSelector (`matchLabels` and `matchExpressions`).

    An empty or missing selector matches nothing here, as for ReplicaSets and Services.
    """
    if not selector:
        return False
    labels = labels or {}
    match_labels = selector.get("matchLabels") or {}
    expressions = selector.get("matchExpressions") or []
    if not match_labels and not expressions:
        return False
    for key, value in match_labels.items():
        if labels.get(key) != value:
            return False
    for expr in expressions:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and (not present or labels[key] not in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def match_map(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """A Service-style selector (a plain map); empty matches nothing."""
    if not selector:
        return False
    labels = labels or {}
    return all(labels.get(k) == v for k, v in selector.items())


def int_or_percent(value: Any, total: int, round_up: bool, default: str = "25%") -> int:
    """Resolve an IntOrString such as `maxSurge` against `total`."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = float(text[:-1]) * total / 100
        return math.ceil(fraction - 1e-9) if round_up else math.floor(fraction + 1e-9)
    return int(text)


def spec_changed(change: Change) -> bool:
    """New objects, and changes of spec or deletionTimestamp (not status-only writes)."""
    old = change.old
    if old is None:
        return True
    return old.get("spec") != change.obj.get("spec") or old["metadata"].get(
        "deletionTimestamp"
    ) != change.obj["metadata"].get("deletionTimestamp")
