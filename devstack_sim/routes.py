"""Resource routes: one dispatcher for `/api/v1/...` and `/apis/G/V/...`, plus list, get and delete.

Writes live in `writes.py`, watches in `watchstream.py`, pod logs in `logs.py`, port-forward in
`portforward.py`, exec in `execstream.py`, Table output in
`tables.py`. Lists carry `metadata.resourceVersion` and items
without kind/apiVersion;
`limit` is ignored (everything in one page, no `continue`), a `continue` token is refused with 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from devstack_sim import (
    errors,
    execstream,
    logs,
    portforward,
    protobuf,
    selectors,
    tables,
    watchstream,
    writes,
)
from devstack_sim.context import CONTEXT, ServerContext, Target, dry_run, flag, parse_path
from devstack_sim.resources import BY_KEY, PODS, ResourceType
from devstack_sim.store import Match
from devstack_sim.wire import LIST_STRIP, check_accept, dumps, json_response, method_not_allowed, raw_json

Obj = dict[str, Any]


async def handle(request: web.Request) -> web.StreamResponse:
    """Dispatch a request under `/api` or `/apis` to the verb's handler."""
    target = parse_path(request.path)
    method = request.method
    if target.subresource == "portforward":
        return await portforward.serve(request, target)
    if target.subresource == "exec":
        return await execstream.serve(request, target)
    if target.subresource == "log":
        if method != "GET":
            raise method_not_allowed()
        return await logs.serve(request, target)
    if method in ("GET", "HEAD"):
        check_accept(request)
    if target.subresource == "scale":
        if method not in ("GET", "PUT", "PATCH"):
            raise method_not_allowed()
        return await writes.scale(request, target)
    if target.name is None:
        if method == "GET":
            if flag(request, "watch"):
                return await watchstream.serve(request, target, matcher(request, target.rtype))
            return list_objects(request, target)
        if method == "POST":
            return await writes.create(request, target)
        if method == "DELETE":
            return await delete_collection(request, target)
        raise method_not_allowed()
    if method == "GET":
        return get_object(request, target)
    if method == "PUT":
        return await writes.update(request, target)
    if method == "PATCH":
        return await writes.patch_object(request, target)
    if method == "DELETE" and target.subresource is None:
        return await delete_object(request, target)
    raise method_not_allowed()


def matcher(request: web.Request, rtype: ResourceType) -> Match | None:
    """The combined label and field selector of a request."""
    return selectors.combine(
        selectors.label_selector(request.query.get("labelSelector")),
        selectors.field_selector(request.query.get("fieldSelector"), rtype),
    )


def list_body(ctx: ServerContext, rtype: ResourceType, namespace: str | None, match: Match | None) -> bytes:
    """The `XList` document for a collection, as JSON (each item's encoding cached by version)."""
    head = {
        "kind": rtype.list_kind,
        "apiVersion": rtype.group_version,
        "metadata": {"resourceVersion": str(ctx.store.resource_version)},
    }
    return ctx.list_cache.encode_list(head, ctx.store.list(rtype, namespace, match))


def list_objects(request: web.Request, target: Target) -> web.Response:
    """GET on a collection (one page, everything); a Table when the client asks for one."""
    if request.query.get("continue"):
        raise errors.bad_request("the simulator does not paginate lists: continue tokens are not supported")
    ctx = request.app[CONTEXT]
    match = matcher(request, target.rtype)
    version = tables.requested_version(request)
    if version is None:
        return raw_json(list_body(ctx, target.rtype, target.namespace, match) + b"\n")
    objects = ctx.store.list(target.rtype, target.namespace, match)
    include = request.query.get("includeObject", "Metadata")
    body = tables.table(target.rtype, objects, ctx.store.resource_version, version, include)
    return raw_json(dumps(body) + b"\n")


def get_object(request: web.Request, target: Target) -> web.Response:
    """GET on an object (or its status); a one-row Table when the client asks for one."""
    ctx = request.app[CONTEXT]
    assert target.name is not None
    obj = ctx.store.require(target.rtype, target.namespace or "", target.name)
    version = tables.requested_version(request)
    if version is not None:
        include = request.query.get("includeObject", "Metadata")
        return json_response(tables.table(target.rtype, [obj], ctx.store.resource_version, version, include))
    return json_response(obj)


async def _delete_options(request: web.Request) -> Obj:
    options: Obj = {}
    if request.can_read_body:
        raw = await request.read()
        if request.content_type == protobuf.CONTENT_TYPE and raw:
            options.update(protobuf.decode_object(raw))
        elif raw.strip():
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise errors.bad_request("error decoding DeleteOptions: invalid JSON") from None
            if isinstance(parsed, dict):
                options.update(parsed)
    if "gracePeriodSeconds" in request.query:
        try:
            options["gracePeriodSeconds"] = int(request.query["gracePeriodSeconds"])
        except ValueError:
            raise errors.bad_request("gracePeriodSeconds must be an integer") from None
    if "propagationPolicy" in request.query:
        options["propagationPolicy"] = request.query["propagationPolicy"]
    if options.get("propagationPolicy") not in (None, "Orphan", "Background", "Foreground"):
        raise errors.bad_request(f'propagationPolicy: Unsupported value: "{options["propagationPolicy"]}"')
    return options


def _without_owner(uid: str) -> Callable[[Obj], None]:
    def drop(obj: Obj) -> None:
        meta = obj["metadata"]
        kept = [ref for ref in meta.get("ownerReferences") or [] if ref.get("uid") != uid]
        if kept:
            meta["ownerReferences"] = kept
        else:
            meta.pop("ownerReferences", None)

    return drop


def _orphan_dependents(ctx: ServerContext, uid: str) -> None:
    for rtype in BY_KEY.values():
        for obj in ctx.store.iter_all(rtype):
            if any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or []):
                meta = obj["metadata"]
                ctx.store.mutate(rtype, meta.get("namespace", ""), meta["name"], _without_owner(uid))


def _remove(ctx: ServerContext, rtype: ResourceType, obj: Obj, options: Obj, dry: bool) -> Obj:
    meta = obj["metadata"]
    pre = options.get("preconditions") or {}
    if (pre.get("uid") and pre["uid"] != meta["uid"]) or (
        pre.get("resourceVersion") and str(pre["resourceVersion"]) != meta["resourceVersion"]
    ):
        raise errors.conflict(rtype.plural, meta["name"], rtype.group)
    if dry:
        return obj
    if options.get("propagationPolicy") == "Orphan":
        _orphan_dependents(ctx, meta["uid"])
    grace = True
    if rtype.key == PODS.key:
        phase = obj.get("status", {}).get("phase")
        unscheduled = not obj.get("spec", {}).get("nodeName")
        grace = not (
            options.get("gracePeriodSeconds") == 0 or unscheduled or phase in ("Succeeded", "Failed")
        )
    return ctx.store.delete(rtype, meta.get("namespace", ""), meta["name"], grace=grace)


async def delete_object(request: web.Request, target: Target) -> web.Response:
    """DELETE on an object; pods on a node terminate gracefully unless `gracePeriodSeconds=0`."""
    ctx = request.app[CONTEXT]
    assert target.name is not None
    options = await _delete_options(request)
    obj = ctx.store.require(target.rtype, target.namespace or "", target.name)
    return json_response(_remove(ctx, target.rtype, obj, options, dry_run(request)))


async def delete_collection(request: web.Request, target: Target) -> web.Response:
    """DELETE on a collection: deletes what the selectors match; answers the list of deleted objects."""
    ctx = request.app[CONTEXT]
    if target.rtype.namespaced and target.namespace is None:
        raise method_not_allowed()
    options = await _delete_options(request)
    dry = dry_run(request)
    gone = []
    for obj in ctx.store.list(target.rtype, target.namespace, matcher(request, target.rtype)):
        if ctx.store.get(target.rtype, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]) is None:
            continue
        deleted = _remove(ctx, target.rtype, obj, options, dry)
        gone.append({k: v for k, v in deleted.items() if k not in LIST_STRIP})
    body = {
        "kind": target.rtype.list_kind,
        "apiVersion": target.rtype.group_version,
        "metadata": {"resourceVersion": str(ctx.store.resource_version)},
        "items": gone,
    }
    return json_response(body)
