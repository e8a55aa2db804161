"""Write verbs of resource routes: create (POST), update (PUT), patch (PATCH), and `/scale`.

Every write decodes the body, checks it against the URL (kind, apiVersion, name, namespace),
applies `fieldValidation`, normalizes and defaults, validates (422), and then stores — or, with
`dryRun=All`, returns what would have been stored.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from aiohttp import web

from devstack_sim import defaults, errors, patch, schemas, validation
from devstack_sim.context import CONTEXT, ServerContext, Target, dry_run
from devstack_sim.resources import SERVICES, ResourceType
from devstack_sim.store import now_rfc3339
from devstack_sim.wire import json_response, read_object

Obj = dict[str, Any]


def _warnings(texts: list[str]) -> dict[str, str]:
    if not texts:
        return {}
    quoted = [f'299 - "{t.replace(chr(34), chr(92) + chr(34))}"' for t in texts]
    return {"Warning": ", ".join(quoted)}


def _check_kind(rtype: ResourceType, obj: Obj) -> None:
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version and api_version != rtype.group_version:
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({rtype.group_version})"
        )
    if kind and kind != rtype.kind:
        raise errors.bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})"
        )


def _place(target: Target, obj: Obj, name: str | None = None) -> Obj:
    """Check name/namespace against the URL; returns the object's metadata."""
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    if target.rtype.namespaced:
        body_ns = meta.get("namespace")
        if body_ns and target.namespace and body_ns != target.namespace:
            raise errors.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = target.namespace or body_ns or "default"
    if name is not None and meta.get("name") and meta["name"] != name:
        raise errors.bad_request(
            f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
        )
    if name is not None:
        meta["name"] = name
    return meta


def _used_ips(ctx: ServerContext) -> list[str]:
    return [str(s.get("spec", {}).get("clusterIP")) for s in ctx.store.iter_all(SERVICES)]


def prepare_create(
    ctx: ServerContext, target: Target, obj: Obj, field_mode: str | None
) -> tuple[Obj, list[str]]:
    """Check, default and validate an object about to be created; returns it with warnings."""
    rtype = target.rtype
    _check_kind(rtype, obj)
    meta = _place(target, obj)
    if meta.get("resourceVersion"):
        raise errors.bad_request("resourceVersion should not be set on objects to be created")
    warnings = validation.check_fields(rtype, obj, field_mode)
    new = copy.deepcopy(obj)
    defaults.normalize(rtype, new)
    defaults.apply(rtype, new, _used_ips(ctx))
    validation.validate(rtype, new)
    return new, warnings


def _dry_create(ctx: ServerContext, rtype: ResourceType, obj: Obj) -> Obj:
    meta = obj["metadata"]
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = f"{meta['generateName']}dryrn"
    if not meta.get("name"):
        raise errors.invalid(
            rtype.kind, "", "metadata.name: Required value: name or generateName is required"
        )
    if ctx.store.get(rtype, meta.get("namespace", ""), meta["name"]) is not None:
        raise errors.already_exists(rtype.plural, meta["name"], rtype.group)
    obj["apiVersion"], obj["kind"] = rtype.group_version, rtype.kind
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now_rfc3339()
    if "spec" in obj:
        meta["generation"] = 1
    return obj


async def create(request: web.Request, target: Target) -> web.Response:
    """POST on a collection."""
    ctx = request.app[CONTEXT]
    if target.rtype.namespaced and target.namespace is None:
        raise errors.ApiError(
            405, "MethodNotAllowed", "create needs a namespaced URL for namespaced resources"
        )
    obj = await read_object(request)
    new, warnings = prepare_create(ctx, target, obj, request.query.get("fieldValidation"))
    created = _dry_create(ctx, target.rtype, new) if dry_run(request) else ctx.store.create(target.rtype, new)
    return json_response(created, 201, _warnings(warnings))


def _prepare_update(ctx: ServerContext, target: Target, new: Obj, old: Obj) -> Obj:
    rtype = target.rtype
    if target.subresource == "status":
        return new
    defaults.normalize(rtype, new)
    if rtype.kind == "Service":
        spec, old_spec = new.setdefault("spec", {}), old.get("spec", {})
        for key in ("clusterIP", "clusterIPs"):
            if not spec.get(key) and old_spec.get(key):
                spec[key] = copy.deepcopy(old_spec[key])
    status = new.get("status")
    defaults.apply(rtype, new, _used_ips(ctx))
    if status is None:
        new.pop("status", None)
    else:
        new["status"] = status
    validation.validate(rtype, new)
    return new


def _store_update(ctx: ServerContext, request: web.Request, target: Target, new: Obj, old: Obj) -> Obj:
    if dry_run(request):
        wanted = new.get("metadata", {}).get("resourceVersion")
        if wanted and str(wanted) != old["metadata"]["resourceVersion"]:
            raise errors.conflict(target.rtype.plural, old["metadata"]["name"], target.rtype.group)
        merged = copy.deepcopy(old if target.subresource == "status" else new)
        if target.subresource == "status":
            merged["status"] = new.get("status", {})
        for kept in ("uid", "creationTimestamp", "resourceVersion"):
            merged.setdefault("metadata", {})[kept] = old["metadata"].get(kept)
        return merged
    return ctx.store.update(target.rtype, new, target.subresource)


async def update(request: web.Request, target: Target) -> web.Response:
    """PUT on an object or its status."""
    ctx = request.app[CONTEXT]
    assert target.name is not None
    obj = await read_object(request)
    _check_kind(target.rtype, obj)
    _place(target, obj, target.name)
    old = ctx.store.require(target.rtype, target.namespace or "", target.name)
    warnings = validation.check_fields(target.rtype, obj, request.query.get("fieldValidation"))
    new = _prepare_update(ctx, target, copy.deepcopy(obj), old)
    return json_response(_store_update(ctx, request, target, new, old), 200, _warnings(warnings))


async def patch_object(request: web.Request, target: Target) -> web.Response:
    """PATCH on an object or its status (all four patch types; apply creates when missing)."""
    ctx = request.app[CONTEXT]
    rtype = target.rtype
    assert target.name is not None
    content_type = request.content_type
    body = await request.read()
    field_mode = request.query.get("fieldValidation")
    old = ctx.store.get(rtype, target.namespace or "", target.name)
    if content_type == patch.APPLY_PATCH and not request.query.get("fieldManager"):
        raise errors.bad_request("PATCH, application/apply-patch+yaml requires fieldManager to be set")
    if old is None:
        if content_type != patch.APPLY_PATCH or target.subresource:
            raise errors.not_found(rtype.plural, target.name, rtype.group)
        applied = patch.parse_body(content_type, body)
        if not isinstance(applied, dict):
            raise errors.bad_request("the applied configuration must be an object")
        _place(target, applied, target.name)
        new, warnings = prepare_create(ctx, target, applied, field_mode)
        created = _dry_create(ctx, rtype, new) if dry_run(request) else ctx.store.create(rtype, new)
        return json_response(created, 201, _warnings(warnings))
    schema = schemas.for_kind(rtype.group, rtype.version, rtype.kind)
    patched = patch.apply(content_type, copy.deepcopy(old), body, schema)
    if content_type == patch.APPLY_PATCH:
        _check_kind(rtype, patched)
    meta = patched.get("metadata") if isinstance(patched.get("metadata"), dict) else None
    if meta is None or meta.get("name") != target.name:
        raise validation.invalid(
            rtype,
            target.name,
            [{"reason": "FieldValueInvalid", "field": "metadata.name", "message": "field is immutable"}],
        )
    if rtype.namespaced and meta.get("namespace") != target.namespace:
        raise errors.bad_request("the namespace of the object does not match the namespace on the request")
    if meta.get("uid") != old["metadata"]["uid"]:
        raise errors.conflict(rtype.plural, target.name, rtype.group)
    warnings = validation.check_fields(rtype, patched, field_mode)
    new = _prepare_update(ctx, target, patched, old)
    return json_response(_store_update(ctx, request, target, new, old), 200, _warnings(warnings))


# ----------------------------------------------------------------------------- scale
def _scale(obj: Obj) -> Obj:
    meta = obj["metadata"]
    selector = obj.get("spec", {}).get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in selector.items()),
        },
    }


async def scale(request: web.Request, target: Target) -> web.Response:
    """GET, PUT or PATCH `/scale` of a Deployment or ReplicaSet."""
    ctx = request.app[CONTEXT]
    assert target.name is not None
    old = ctx.store.require(target.rtype, target.namespace or "", target.name)
    current = _scale(old)
    if request.method == "GET":
        return json_response(current)
    if request.method == "PUT":
        wanted = await read_object(request)
    else:
        wanted = patch.apply(request.content_type, copy.deepcopy(current), await request.read(), None)
    replicas = wanted.get("spec", {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        raise validation.invalid(
            target.rtype,
            target.name,
            [
                {
                    "reason": "FieldValueInvalid",
                    "field": "spec.replicas",
                    "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                }
            ],
        )
    rv = wanted.get("metadata", {}).get("resourceVersion")
    if rv and str(rv) != old["metadata"]["resourceVersion"]:
        raise errors.conflict(target.rtype.plural, target.name, target.rtype.group)
    if dry_run(request):
        current["spec"]["replicas"] = replicas
        return json_response(current)

    def set_replicas(obj: Obj) -> None:
        obj.setdefault("spec", {})["replicas"] = replicas

    updated = ctx.store.mutate(target.rtype, target.namespace or "", target.name, set_replicas)
    return json_response(_scale(updated))
