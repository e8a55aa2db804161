"""Label and field selectors as the API server parses them (`labelSelector=`, `fieldSelector=`).

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k`.
Field selectors: `f=v`, `f==v`, `f!=v` over the fields each type supports (`metadata.name` and
`metadata.namespace` always; per-type extras as in the real registries). Unknown fields give the
real server's 400 `field label not supported: <f>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from devstack_sim import errors
from devstack_sim.resources import ResourceType

Obj = dict[str, Any]
Match = Callable[[Obj], bool]

_LABEL_KEY = re.compile(
    r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$"
)
_SET_OP = re.compile(r"^\s*(\S+)\s+(in|notin)\s*\((.*)\)\s*$")

_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "secrets": ("type",),
    "namespaces": ("status.phase",),
    "nodes": ("spec.unschedulable",),
    "replicasets.apps": ("status.replicas",),
}


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    terms: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        terms.append("".join(current).strip())
    return [term for term in terms if term]


def _check_key(key: str, selector: str) -> str:
    if not _LABEL_KEY.match(key):
        raise errors.bad_request(f"unable to parse requirement: invalid label key {key!r} in {selector!r}")
    return key


def _label_term(term: str, selector: str) -> Callable[[dict[str, str]], bool]:
    set_op = _SET_OP.match(term)
    if set_op:
        key = _check_key(set_op.group(1), selector)
        values = {v.strip() for v in set_op.group(3).split(",") if v.strip()}
        if set_op.group(2) == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in term:
            key, _, value = term.partition(op)
            key, value = _check_key(key.strip(), selector), value.strip()
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: key in labels and labels[key] == value
    if term.startswith("!"):
        key = _check_key(term[1:].strip(), selector)
        return lambda labels: key not in labels
    key = _check_key(term, selector)
    return lambda labels: key in labels


def label_selector(text: str | None) -> Match | None:
    """A matcher for a label selector string, or None when it selects everything.

    Raises:
        ApiError: 400 for a selector that does not parse.
    """
    if not text or not text.strip():
        return None
    tests = [_label_term(term, text) for term in _split_terms(text)]

    def match(obj: Obj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(test(labels) for test in tests)

    return match


def _field_value(obj: Obj, path: str) -> str:
    node: Any = obj
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if path == "source" and isinstance(obj.get("source"), dict):
        node = obj["source"].get("component")
    if node is None:
        return ""
    if isinstance(node, bool):
        return "true" if node else "false"
    return str(node)


def _field_test(name: str, value: str, negate: bool) -> Callable[[Obj], bool]:
    if negate:
        return lambda obj: _field_value(obj, name) != value
    return lambda obj: _field_value(obj, name) == value


def field_selector(text: str | None, rtype: ResourceType) -> Match | None:
    """A matcher for a field selector string on objects of `rtype`, or None for everything.

    Raises:
        ApiError: 400 for an unsupported field or a term that does not parse.
    """
    if not text or not text.strip():
        return None
    allowed = _COMMON_FIELDS + _TYPE_FIELDS.get(rtype.key, ())
    tests: list[Callable[[Obj], bool]] = []
    for term in _split_terms(text):
        for op in ("!=", "==", "="):
            if op in term:
                name, _, value = term.partition(op)
                name, value = name.strip(), value.strip()
                break
        else:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        if name not in allowed:
            raise errors.bad_request(f"field label not supported: {name}")
        tests.append(_field_test(name, value, negate=op == "!="))

    def match(obj: Obj) -> bool:
        return all(test(obj) for test in tests)

    return match


def combine(*matchers: Match | None) -> Match | None:
    """One matcher that requires every given matcher (None entries are ignored)."""
    active = [m for m in matchers if m is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]
    return lambda obj: all(m(obj) for m in active)
