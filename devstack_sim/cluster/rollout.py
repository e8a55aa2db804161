"""Pure rollout arithmetic of the deployment controller: template hash, surge and unavailability."""

from __future__ import annotations

import copy
import json
import struct
from typing import Any

from devstack_sim.store import Obj

from .meta import int_or_percent

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"

_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_hash_cache: dict[str, str] = {}


def fnv32a(data: bytes, value: int = _FNV_OFFSET) -> int:
    """The 32-bit FNV-1a hash (Go's hash/fnv New32a)."""
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """k8s.io/apimachinery rand.SafeEncodeString: each byte mapped into a vowel-free alphabet."""
    return "".join(_SAFE[ord(ch) % len(_SAFE)] for ch in text)


def pod_template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """The `pod-template-hash` of a template, computed like controller.ComputeHash.

    Kubernetes feeds the Go struct through a deep printer; a canonical JSON dump stands in for it,
    so the value is stable but not byte-identical to a real cluster's.
    """
    text = json.dumps(template, sort_keys=True, separators=(",", ":"))
    key = f"{collision_count}|{text}"
    cached = _hash_cache.get(key)
    if cached is not None:
        return cached
    value = fnv32a(text.encode())
    if collision_count is not None:
        value = fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\0" * 4, value)
    result = safe_encode(str(value))
    if len(_hash_cache) > 1024:
        _hash_cache.clear()
    _hash_cache[key] = result
    return result


def template_without_hash(template: dict[str, Any]) -> dict[str, Any]:
    """A template with the `pod-template-hash` label removed (for EqualIgnoreHash)."""
    labels = (template.get("metadata") or {}).get("labels") or {}
    if HASH_LABEL not in labels:
        return template
    clean = copy.deepcopy(template)
    clean["metadata"]["labels"].pop(HASH_LABEL, None)
    if not clean["metadata"]["labels"]:
        del clean["metadata"]["labels"]
    return clean


def _norm(template: dict[str, Any]) -> dict[str, Any]:
    clean = dict(template)
    meta = dict(clean.get("metadata") or {})
    for key in list(meta):
        if not meta[key]:
            del meta[key]
    clean["metadata"] = meta
    return clean


def same_template(rs_template: dict[str, Any], deploy_template: dict[str, Any]) -> bool:
    """EqualIgnoreHash: the templates differ at most in the pod-template-hash label."""
    return _norm(template_without_hash(rs_template)) == _norm(deploy_template)


def desired_replicas(deploy: Obj) -> int:
    """spec.replicas (default 1)."""
    value = deploy.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def surge_and_unavailable(deploy: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against spec.replicas; both 0 becomes (0, 1)."""
    spec = deploy.get("spec", {})
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0, 0
    rolling = strategy.get("rollingUpdate") or {}
    replicas = desired_replicas(deploy)
    surge = int_or_percent(rolling.get("maxSurge"), replicas, round_up=True)
    unavailable = int_or_percent(rolling.get("maxUnavailable"), replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def revision(rs: Obj) -> int:
    """The revision annotation of a ReplicaSet (0 when missing)."""
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def spec_replicas(rs: Obj) -> int:
    """spec.replicas of a ReplicaSet."""
    return int(rs.get("spec", {}).get("replicas") or 0)


def status_count(rs: Obj, field: str) -> int:
    """A status counter of a ReplicaSet (0 when omitted)."""
    return int((rs.get("status") or {}).get(field) or 0)
