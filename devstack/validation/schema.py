"""Turn JSON-schema errors into short, specific messages placed on the offending YAML line."""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from jsonschema import ValidationError
from jsonschema.protocols import Validator

from devstack.core.shown import show_value
from devstack.yamlfile import KeyPath, Problem, dotted

JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}

Locator = Callable[[KeyPath, bool], tuple[str, int | None]]
"""Maps a key path (and whether the key's own line is wanted) to the file and line to blame."""


def schema_problems(
    validator: Validator, instance: Any, locate: Locator, prefix: KeyPath = ()
) -> list[Problem]:
    """Validate ``instance`` and return one problem per specific mistake.

    Args:
        validator: A jsonschema validator for the schema to apply.
        instance: The data to check.
        locate: Finds the file and line of a key path.
        prefix: Key path of ``instance`` inside the file (e.g. ``("backend",)`` for a subchart section).
    """
    problems: set[Problem] = set()
    for error in validator.iter_errors(instance):
        for leaf in _specific(error):
            problems.update(_describe(leaf, locate, prefix))
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))


def _specific(error: ValidationError) -> list[ValidationError]:
    """Replace an anyOf/oneOf failure by the errors of the branch that came closest to matching."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    candidates = [[leaf for sub in subs for leaf in _specific(sub)] for subs in branches.values()]
    if _all_type_mismatches(candidates):
        return [_merged_type_error(error, candidates)]
    return max(candidates, key=_closeness)


def _closeness(leaves: list[ValidationError]) -> tuple[int, int, int]:
    """Rank a branch: deeper errors first, then fewer of them, then more unknown keys with a near miss."""
    unknown = [(key, e) for e in leaves if e.validator == "additionalProperties" for key in _unknown_keys(e)]
    near = sum(1 for key, e in unknown if _suggest(key, _allowed(e)))
    weight = len(unknown) + sum(1 for e in leaves if e.validator != "additionalProperties")
    return _depth(leaves), -weight, near


def _depth(leaves: list[ValidationError]) -> int:
    return max(len(e.absolute_path) for e in leaves)


def _all_type_mismatches(candidates: list[list[ValidationError]]) -> bool:
    leaves = [leaf for leaves in candidates for leaf in leaves]
    paths = {tuple(leaf.absolute_path) for leaf in leaves}
    return len(paths) == 1 and all(len(c) == 1 and c[0].validator == "type" for c in candidates)


def _merged_type_error(error: ValidationError, candidates: list[list[ValidationError]]) -> ValidationError:
    types: list[str] = []
    for (leaf,) in candidates:
        expected = leaf.validator_value
        types += [expected] if isinstance(expected, str) else list(expected)
    leaf = candidates[0][0]
    return ValidationError(
        message="",
        validator="type",
        validator_value=types,
        instance=leaf.instance,
        path=error.path,
        schema_path=leaf.schema_path,
    )


def _describe(error: ValidationError, locate: Locator, prefix: KeyPath) -> Iterable[Problem]:
    path: KeyPath = (*prefix, *error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = _allowed(error)
        for key in _unknown_keys(error):
            file, line = locate((*path, key), True)
            where = f"{dotted(path)}: " if path else ""
            yield Problem(file, line, f"{where}unknown key {show_value(key)}{_suggest(key, allowed)}")
        return
    file, line = locate(path, error.validator == "required")
    yield Problem(file, line, f"{dotted(path) or '(top level)'}: {_message(error)}")


def _allowed(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return sorted(schema.get("properties", {}))


def _unknown_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = schema.get("properties", {})
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    instance = error.instance if isinstance(error.instance, dict) else {}
    return [k for k in instance if k not in known and not any(p.search(k) for p in patterns)]


def _suggest(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _message(error: ValidationError) -> str:
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return f"expected {' or '.join(names)}, got {_shown(instance)}"
    if kind == "enum":
        return f"expected one of {', '.join(json.dumps(v) for v in expected)}, got {_shown(instance)}"
    if kind == "const":
        return f"expected {json.dumps(expected)}, got {_shown(instance)}"
    if kind == "required":
        missing = [k for k in expected if isinstance(instance, dict) and k not in instance]
        return ", ".join(f'missing required key "{k}"' for k in missing) or error.message
    if kind == "pattern":
        return f"{_shown(instance)} does not match {expected}"
    return str(error.message)


def _shown(value: Any) -> str:
    """A value in JSON's words (object, array, null), short and printable (`show_value`)."""
    if isinstance(value, (dict, list)):
        return JSON_TYPES[type(value)]
    if value is None:
        return "null"
    return show_value(value)
