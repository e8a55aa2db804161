"""Wire format helpers: JSON responses, Status errors, content negotiation, the encode cache."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import msgspec
import yaml
from aiohttp import web

from devstack_sim import errors, protobuf

Obj = dict[str, Any]

JSON = "application/json"
_CACHE_LIMIT = 8192
LIST_STRIP = ("kind", "apiVersion")
"""Top-level fields a list's items leave out (the list says them once)."""


_encode = msgspec.json.Encoder().encode


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (UTF-8, no spaces), as the real server writes them.

    msgspec writes the same bytes as `json.dumps(value, separators=(",", ":"), ensure_ascii=False)`
    for the JSON values stored objects are made of, several times faster.
    """
    return _encode(value)


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A `application/json` response with a trailing newline (like the real server)."""
    return web.Response(body=dumps(value) + b"\n", status=status, content_type=JSON, headers=headers)


def raw_json(body: bytes, status: int = 200) -> web.Response:
    """A response from pre-encoded JSON bytes."""
    return web.Response(body=body, status=status, content_type=JSON)


def status_response(error: errors.ApiError, headers: dict[str, str] | None = None) -> web.Response:
    """The `Status` body of an ApiError with its HTTP code."""
    return json_response(error.status(), error.code, headers)


def not_found_path() -> errors.ApiError:
    """404 for a path the server does not serve (the real server's wording)."""
    return errors.ApiError(
        404,
        "NotFound",
        "the server could not find the requested resource",
        {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]},
    )


def method_not_allowed() -> errors.ApiError:
    """405 for a verb the resource does not support."""
    return errors.ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def check_accept(request: web.Request) -> None:
    """Refuse media types the simulator cannot produce (protobuf-only, CBOR-only...).

    JSON, YAML-ish wildcards and meta.k8s.io `as=Table` (see `tables.py`) are fine.

    Raises:
        ApiError: 406 NotAcceptable.
    """
    accept = request.headers.get("Accept", "")
    if not accept.strip():
        return
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        values = dict(p.split("=", 1) for p in params if "=" in p)
        if media not in ("application/json", "application/*", "*/*", "application/yaml", "text/plain"):
            continue
        if "as" not in values or (values["as"] == "Table" and values.get("g") == "meta.k8s.io"):
            return
    raise errors.ApiError(
        406,
        "NotAcceptable",
        "only the following media types are accepted: application/json, "
        "application/json;as=Table;g=meta.k8s.io "
        f"(the simulator serves neither protobuf nor CBOR; asked for {accept!r})",
    )


async def read_object(request: web.Request) -> Obj:
    """Decode a create/update body (JSON, YAML, or protobuf for the kinds `protobuf.py` knows).

    Raises:
        ApiError: 415 for other media types (CBOR...), 400 for undecodable or non-object bodies.
    """
    # no Content-Type means JSON, as on the real server (aiohttp reports application/octet-stream)
    content_type = request.content_type if "Content-Type" in request.headers else "application/json"
    body = await request.read()
    if content_type == protobuf.CONTENT_TYPE:
        return protobuf.decode_object(body)
    if content_type not in ("application/json", "application/yaml", "application/x-yaml", "text/yaml", ""):
        raise errors.ApiError(
            415,
            "UnsupportedMediaType",
            f'the body of the request was in an unknown format ("{content_type}") - accepted media types '
            f"include: application/json, application/yaml, {protobuf.CONTENT_TYPE}",
        )
    if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
        try:
            value = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise errors.bad_request(f"error decoding YAML: {exc}") from None
    else:
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise errors.bad_request(f"error decoding the request body: {exc}") from None
    if not isinstance(value, dict):
        raise errors.bad_request("the request body must be a JSON object")
    return value


class EncodeCache:
    """JSON bytes of stored objects keyed by their resourceVersion (unique per stored version).

    Stored objects are never mutated, so one encoding serves every watcher of a change, and every
    list that shows it. `strip` names top-level fields left out (a list's items have no `kind` and
    `apiVersion`); the cache grows to hold the largest list it encoded twice over, so a list does
    not evict its own items.
    """

    def __init__(self, limit: int = _CACHE_LIMIT, strip: tuple[str, ...] = ()):
        self._limit = limit
        self._strip = strip
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def encode(self, obj: Obj) -> bytes:
        """The JSON encoding of `obj`, from the cache when possible."""
        rv = obj.get("metadata", {}).get("resourceVersion")
        if not rv:
            return self._dumps(obj)
        key = f"{obj.get('kind')}/{rv}"
        cached = self._entries.get(key)
        if cached is not None:
            self.hits += 1
            self._entries.move_to_end(key)
            return cached
        self.misses += 1
        data = self._dumps(obj)
        self._entries[key] = data
        if len(self._entries) > self._limit:
            self._entries.popitem(last=False)
        return data

    def encode_list(self, head: Obj, items: Sequence[Obj]) -> bytes:
        """A list document: `head` (kind, apiVersion, metadata) and the encoded `items`."""
        self._limit = max(self._limit, 2 * len(items))
        encoded = [self.encode(obj) for obj in items]
        return dumps(head)[:-1] + b',"items":[' + b",".join(encoded) + b"]}"

    def _dumps(self, obj: Obj) -> bytes:
        if self._strip:
            obj = {k: v for k, v in obj.items() if k not in self._strip}
        return dumps(obj)
