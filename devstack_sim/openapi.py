"""OpenAPI v3 documents (`/openapi/v3` index and one document per served group-version).

Built from the Kubernetes 1.33 JSON schemas shipped by `kubernetes-validate` (`schemas.py`):
`$ref`s are rewritten to `#/components/schemas/...`, nullable type arrays collapse to the plain
type, and each document holds the schemas its kinds reach. Paths carry the operations kubectl
looks for: every PATCH has `x-kubernetes-group-version-kind` and a `fieldValidation` query
parameter, so `kubectl apply`/`create` leave validation to the server (`fieldValidation=Strict`)
and compute strategic-merge patches from the schemas' patch strategies. Documents are built once
and cached as bytes with their hash.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from devstack_sim import schemas
from devstack_sim.resources import ALL, ResourceType

Doc = dict[str, Any]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_ALWAYS = (
    f"{_META}Status",
    f"{_META}DeleteOptions",
    f"{_META}Patch",
    f"{_META}WatchEvent",
    f"{_META}APIResourceList",
)


def _convert(node: Any) -> Any:
    """A JSON-schema fragment in OpenAPI v3 form (component refs, single types)."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Doc = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/$defs/", "#/components/schemas/")
        elif key == "type" and isinstance(value, list):
            kinds = [v for v in value if v != "null"]
            out[key] = kinds[0] if len(kinds) == 1 else kinds
        else:
            out[key] = _convert(value)
    return out


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        name = schemas.ref_name(node)
        if name is not None:
            found.add(name)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _closure(roots: list[str]) -> list[str]:
    defs = schemas.definitions()
    seen: set[str] = set()
    todo = [r for r in roots if r in defs]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found: set[str] = set()
        _refs(defs[name], found)
        todo.extend(n for n in found if n not in seen and n in defs)
    return sorted(seen)


def _param(name: str, where: str = "query", kind: str = "string", required: bool = False) -> Doc:
    param: Doc = {"name": name, "in": where, "schema": {"type": kind, "uniqueItems": True}}
    if required:
        param["required"] = True
    return param


def _body(ref: str, media: tuple[str, ...] = ("*/*",)) -> Doc:
    return {"content": {m: {"schema": {"$ref": ref}} for m in media}, "required": True}


_PATCH_MEDIA = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


def _ok(ref: str) -> Doc:
    schema = {"$ref": ref}
    return {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": schema}, "application/yaml": {"schema": schema}},
        },
        "401": {"description": "Unauthorized"},
    }


def _op(
    verb: str, rtype: ResourceType, action: str, ref: str, params: list[Doc], body: Doc | None = None
) -> Doc:
    tag = f"{rtype.group.split('.')[0]}_{rtype.version}" if rtype.group else "core_v1"
    op: Doc = {
        "tags": [tag],
        "description": f"{action} {rtype.kind}",
        "operationId": f"{verb}{rtype.kind}",
        "parameters": params,
        "responses": _ok(ref),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": rtype.group,
            "kind": rtype.kind,
            "version": rtype.version,
        },
    }
    if body is not None:
        op["requestBody"] = body
    return op


def _write_params() -> list[Doc]:
    return [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]


def _paths_for(rtype: ResourceType, definition: str) -> dict[str, Doc]:
    prefix = f"/apis/{rtype.group_version}" if rtype.group else "/api/v1"
    ref = f"#/components/schemas/{definition}"
    list_ref = f"#/components/schemas/{definition}List"
    patch_ref = f"#/components/schemas/{_META}Patch"
    scope = (
        f"{prefix}/namespaces/{{namespace}}/{rtype.plural}"
        if rtype.namespaced
        else f"{prefix}/{rtype.plural}"
    )
    path_params = [_param("namespace", "path", required=True)] if rtype.namespaced else []
    item_params = [*path_params, _param("name", "path", required=True)]
    patch_params = [*_write_params(), _param("force", kind="boolean")]
    paths: dict[str, Doc] = {
        scope: {
            "get": _op(
                "list", rtype, "list", list_ref, [_param("labelSelector"), _param("watch", kind="boolean")]
            ),
            "post": _op("create", rtype, "post", ref, _write_params(), _body(ref)),
            "delete": _op(
                "deletecollection", rtype, "deletecollection", f"#/components/schemas/{_META}Status", []
            ),
            "parameters": path_params,
        },
        f"{scope}/{{name}}": {
            "get": _op("read", rtype, "get", ref, []),
            "put": _op("replace", rtype, "put", ref, _write_params(), _body(ref)),
            "patch": _op("patch", rtype, "patch", ref, patch_params, _body(patch_ref, _PATCH_MEDIA)),
            "delete": _op("delete", rtype, "delete", ref, [_param("gracePeriodSeconds", kind="integer")]),
            "parameters": item_params,
        },
    }
    if "status" in rtype.subresources:
        paths[f"{scope}/{{name}}/status"] = {
            "get": _op("readStatus", rtype, "get", ref, []),
            "put": _op("replaceStatus", rtype, "put", ref, _write_params(), _body(ref)),
            "patch": _op("patchStatus", rtype, "patch", ref, patch_params, _body(patch_ref, _PATCH_MEDIA)),
            "parameters": item_params,
        }
    if rtype.namespaced:
        paths[f"{prefix}/{rtype.plural}"] = {"get": _op("listAllNamespaces", rtype, "list", list_ref, [])}
    return paths


def _gv_key(rtype: ResourceType) -> str:
    return f"apis/{rtype.group_version}" if rtype.group else "api/v1"


@functools.cache
def document(key: str) -> tuple[bytes, str] | None:
    """The serialized document for an index key such as `api/v1` or `apis/apps/v1`, and its hash."""
    served = [r for r in ALL if _gv_key(r) == key]
    if not served:
        return None
    paths: dict[str, Doc] = {}
    roots: list[str] = list(_ALWAYS)
    for rtype in served:
        definition = schemas.definition_name(rtype.group, rtype.version, rtype.kind)
        if definition is None:
            continue
        roots += [definition, f"{definition}List"]
        paths.update(_paths_for(rtype, definition))
    defs = schemas.definitions()
    components = {name: _convert(defs[name]) for name in _closure(roots)}
    doc = {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.1"},
        "paths": paths,
        "components": {"schemas": components},
    }
    body = json.dumps(doc, separators=(",", ":")).encode()
    return body, hashlib.sha512(body).hexdigest().upper()


def index() -> Doc:
    """The `/openapi/v3` index: one `serverRelativeURL` (with content hash) per group-version."""
    paths: Doc = {}
    for key in sorted({_gv_key(r) for r in ALL}):
        built = document(key)
        if built is not None:
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={built[1]}"}
    return {"paths": paths}
