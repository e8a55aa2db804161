"""The PATCH flavours of the Kubernetes API: JSON merge, JSON patch, strategic merge, apply.

Strategic merge follows apimachinery's `strategicpatch` package, driven by the schemas'
`x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` (so container ports merge by
`containerPort`, service ports by `port`, volumes by `name` with `retainKeys`...). Understood
directives: `$patch: replace|delete|merge` (maps and list elements), `$retainKeys`,
`$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`; `null` deletes a key.
Lists without a merge strategy (and fields the schema does not know) are replaced.

Server-side apply (`application/apply-patch+yaml`) is approximated: there are no managedFields;
the applied configuration is strategically merged over the live object (fields the applier
stopped sending are not removed). Creating a missing object is done by the caller.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from devstack_sim import errors, schemas
from devstack_sim.schemas import Schema

Obj = dict[str, Any]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (MERGE_PATCH, JSON_PATCH, STRATEGIC_PATCH, APPLY_PATCH)

_SET_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _invalid(message: str) -> errors.ApiError:
    """422 for a patch that cannot be applied (the real server's code for JSON patch failures)."""
    return errors.ApiError(422, "Invalid", message)


# ----------------------------------------------------------------------------- JSON merge (RFC 7386)
def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch; returns a new value."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ----------------------------------------------------------------------------- JSON patch (RFC 6902)
def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _invalid(f'invalid JSON pointer "{path}"')
    return [_unescape(part) for part in path[1:].split("/")]


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise _invalid(f'doc is missing path: "{path}"')
    return node


def _get(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return doc
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _invalid(f'doc is missing path: "{path}"')


def _remove(doc: Any, path: str) -> Any:
    tokens = _pointer(path)
    if not tokens:
        raise _invalid("cannot remove the document root")
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _invalid(f"unable to remove nonexistent key: {last}: missing value")


def _add(doc: Any, path: str, value: Any, replace: bool = False) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _invalid(f'doc is missing key: "{path}": missing value')
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _invalid(f'unable to access invalid index: "{path}"')
    else:
        raise _invalid(f'doc is missing path: "{path}"')
    return doc


def json_patch(target: Obj, operations: Any) -> Obj:
    """Apply an RFC 6902 JSON patch (add, remove, replace, move, copy, test); returns a new object."""
    if not isinstance(operations, list):
        raise errors.bad_request("json patch must be a list of operations")
    doc: Any = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise _invalid("unexpected json patch operation: missing op or path")
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "move":
            value = _remove(doc, op.get("from", ""))
            doc = _add(doc, path, value)
        elif kind == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, op.get("from", ""))))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise _invalid(f"testing value {path} failed: test failed")
        else:
            raise _invalid(f'Unexpected kind: "{kind}"')
    if not isinstance(doc, dict):
        raise _invalid("the patched document is not an object")
    return doc


# ----------------------------------------------------------------------------- strategic merge
def strategic_merge(original: Obj, patch: Obj, schema: Schema | None) -> Obj:
    """Apply a strategic merge patch to `original`, with list strategies from `schema`; returns a copy."""
    if not isinstance(patch, dict):
        raise errors.bad_request("strategic merge patch must be a JSON object")
    return _merge_map(copy.deepcopy(original), patch, schema, set())


def _merge_map(original: Obj, patch: Obj, schema: Schema | None, strategy: set[str]) -> Obj:
    directive = patch.get("$patch")
    if directive == "replace":
        return _merge_map({}, {k: v for k, v in patch.items() if k != "$patch"}, schema, set())
    if directive == "delete":
        return {}
    retain = patch.get("$retainKeys")
    if isinstance(retain, list) and "retainKeys" in strategy:
        original = {k: v for k, v in original.items() if k in retain}
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith(_SET_ORDER):
            if isinstance(value, list):
                orders[key[len(_SET_ORDER) :]] = value
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            name = key[len(_DELETE_PRIMITIVE) :]
            if isinstance(original.get(name), list) and isinstance(value, list):
                original[name] = [item for item in original[name] if item not in value]
            continue
        if value is None:
            original.pop(key, None)
            continue
        meta = schemas.field(schema, key)
        current = original.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            original[key] = _merge_map(current, value, meta.schema, set(meta.strategy))
        elif isinstance(value, list) and isinstance(current, list) and "merge" in meta.strategy:
            original[key] = _merge_list(current, value, meta)
        elif isinstance(value, dict):
            original[key] = _merge_map({}, value, meta.schema, set(meta.strategy))
        elif isinstance(value, list):
            original[key] = _merge_list([], value, meta)
        else:
            original[key] = value
    for name, order in orders.items():
        if isinstance(original.get(name), list):
            original[name] = _reorder(original[name], order, schemas.field(schema, name).merge_key)
    return original


def _clean(value: Any, schema: Schema | None) -> Any:
    """A patch value with directives removed (used where the patch replaces instead of merging)."""
    if isinstance(value, dict):
        return _merge_map({}, value, schema, set())
    return copy.deepcopy(value)


def _merge_list(original: list[Any], patch: list[Any], meta: schemas.FieldMeta) -> list[Any]:
    key = meta.merge_key
    element = schemas.items(meta.schema)
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_clean(item, element) for item in patch if not (isinstance(item, dict) and "$patch" in item)]
    if "merge" not in meta.strategy:
        return [_clean(item, element) for item in patch]
    result = copy.deepcopy(original)
    element_strategy = {"retainKeys"} if "retainKeys" in meta.strategy else set()
    if key is None:
        for item in patch:
            if item not in result:
                result.append(copy.deepcopy(item))
        return result
    for item in patch:
        if not isinstance(item, dict):
            if item not in result:
                result.append(copy.deepcopy(item))
            continue
        index = next(
            (i for i, old in enumerate(result) if isinstance(old, dict) and old.get(key) == item.get(key)),
            None,
        )
        if item.get("$patch") == "delete":
            if index is not None:
                result.pop(index)
            continue
        if index is None:
            result.append(_merge_map({}, item, element, element_strategy))
        else:
            result[index] = _merge_map(result[index], item, element, element_strategy)
    return result


def _reorder(values: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else json.dumps(item, sort_keys=True)

    wanted = [o.get(key) if key and isinstance(o, dict) else json.dumps(o, sort_keys=True) for o in order]
    position = {value: i for i, value in enumerate(wanted)}
    listed = sorted((v for v in values if ident(v) in position), key=lambda v: position[ident(v)])
    rest = [v for v in values if ident(v) not in position]
    return listed + rest


# ----------------------------------------------------------------------------- dispatch
def apply(content_type: str, original: Obj, body: bytes, schema: Schema | None) -> Obj:
    """Apply a PATCH body of the given content type to `original`.

    Raises:
        ApiError: 415 for an unknown patch type, 400 for a malformed body, 422 for a failing
            JSON patch.
    """
    parsed = parse_body(content_type, body)
    if content_type == JSON_PATCH:
        return json_patch(original, parsed)
    if not isinstance(parsed, dict):
        raise errors.bad_request("the patch must be a JSON object")
    if content_type == MERGE_PATCH:
        result = merge_patch(original, parsed)
        assert isinstance(result, dict)
        return result
    return strategic_merge(original, parsed, schema)


def parse_body(content_type: str, body: bytes) -> Any:
    """Decode a PATCH body (JSON, or YAML for apply patches)."""
    if content_type not in PATCH_TYPES:
        raise errors.ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(PATCH_TYPES),
        )
    try:
        return json.loads(body)
    except ValueError:
        if content_type != APPLY_PATCH:
            raise errors.bad_request("error decoding patch: invalid JSON") from None
    import yaml

    try:
        return yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise errors.bad_request(f"error decoding YAML: {exc}") from None
