"""Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`).

client-go's typed clients — `kubectl create namespace|configmap|secret|deployment|service...`
and Helm's release storage — send bodies as protobuf: the magic `k8s\\x00`, then a
`runtime.Unknown` holding `typeMeta` and the object's bytes. This module turns those into the
JSON-shaped dicts the rest of the server handles, for the kinds in `KINDS` and `DeleteOptions`.

Field numbers are in `protobuf_types.py`. Zero values are dropped as Go's `omitempty` would, except for
pointer fields (`keep`), where an explicit 0/false means something. A non-zero field this table
does not know gets a 415 Status naming it — never a silently incomplete object. Responses are
always JSON (clients accept it). Encoding protobuf is not supported.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any

from devstack_sim import errors
from devstack_sim.protobuf_types import KINDS, TABLE

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"

_LENGTH_DELIMITED = 2


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _bad("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def _fields(data: bytes) -> list[tuple[int, int, Any]]:
    """(field number, wire type, value) triples of one message."""
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: Any
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == _LENGTH_DELIMITED:
            size, pos = _varint(data, pos)
            value, pos = data[pos : pos + size], pos + size
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        else:
            raise _bad(f"unsupported wire type {wire}")
        out.append((number, wire, value))
    return out


def _bad(message: str) -> errors.ApiError:
    return errors.ApiError(
        415, "UnsupportedMediaType", f"the simulator cannot decode this protobuf body: {message}"
    )


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind in ("I", "B"):
        if wire != 0:
            raise _bad("expected a varint")
        return bool(value) if kind == "B" else _signed(value)
    if wire != _LENGTH_DELIMITED:
        raise _bad("expected a length-delimited field")
    if kind == "S":
        return value.decode()
    if kind == "Y":
        return base64.b64encode(value).decode()
    if kind == "Q":
        return decode("Quantity", value).get("string", "")
    if kind == "T":
        fields = {n: v for n, _, v in _fields(value)}
        if not fields.get(1) and not fields.get(2):
            return None
        moment = datetime.datetime.fromtimestamp(_signed(fields.get(1, 0)), datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "IOS":
        fields = {n: v for n, _, v in _fields(value)}
        return fields.get(3, b"").decode() if fields.get(1) == 1 else _signed(fields.get(2, 0))
    raise _bad(f"unknown field kind {kind}")


def _map_entry(kind: str, value: bytes) -> tuple[str, Any]:
    fields = {n: (w, v) for n, w, v in _fields(value)}
    key = fields.get(1, (2, b""))[1].decode()
    wire, raw = fields.get(2, (2, b""))
    return key, _scalar({"MSS": "S", "MSY": "Y", "MSQ": "Q"}[kind], wire, raw)


def _is_zero(wire: int, value: Any) -> bool:
    return value == 0 if wire == 0 else not value


def decode(message: str, data: bytes) -> dict[str, Any]:
    """Decode one message of `TABLE` into a JSON-shaped dict.

    Raises:
        ApiError: 415 for fields this table does not know (unless they hold zero values).
    """
    if message == "Quantity":
        return {"string": next((v.decode() for n, _, v in _fields(data) if n == 1), "")}
    table = TABLE[message]
    out: dict[str, Any] = {}
    for number, wire, value in _fields(data):
        spec = table.get(number)
        if spec is None:
            if _is_zero(wire, value):
                continue
            raise _bad(f"field {number} of {message} is not supported; send JSON instead")
        name, kind, flags = spec
        if kind == "Empty":
            continue
        if kind in TABLE:
            if wire != _LENGTH_DELIMITED:
                raise _bad(f"field {name} of {message} should be a message")
            item: Any = decode(kind, value)
            if "i" in flags:
                out.update(item)
                continue
        elif kind.startswith("MS"):
            key, entry = _map_entry(kind, value)
            out.setdefault(name, {})[key] = entry
            continue
        else:
            item = _scalar(kind, wire, value)
            if item is None or (
                not item and item is not True and "k" not in flags and not isinstance(item, dict)
            ):
                continue
        if "r" in flags:
            out.setdefault(name, []).append(item)
        else:
            out[name] = item
    return out


def decode_object(body: bytes) -> dict[str, Any]:
    """Decode a `k8s\\x00`-prefixed protobuf body into an object with apiVersion and kind.

    Raises:
        ApiError: 415 for anything that is not a supported kind.
    """
    if not body.startswith(MAGIC):
        raise _bad("missing the k8s protobuf magic prefix")
    envelope = decode("Unknown", body[len(MAGIC) :])
    type_meta = envelope.get("typeMeta", {})
    kind = type_meta.get("kind", "")
    if kind not in KINDS:
        raise _bad(f"kind {kind or '(none)'} is not supported as protobuf (supported: {', '.join(KINDS)})")
    if envelope.get("contentEncoding"):
        raise _bad(f"content encoding {envelope['contentEncoding']} is not supported")
    raw = base64.b64decode(envelope.get("raw", ""))
    obj = decode(kind, raw)
    if kind != "DeleteOptions":
        obj = {"apiVersion": type_meta.get("apiVersion", ""), "kind": kind, **obj}
    return obj
