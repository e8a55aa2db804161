"""From the API's JSON to summaries, decoded once: list bodies, watch lines, and plain dicts.

`codec(kind)` gives the decoder of one watched kind. A list body or a watch line is decoded in one
pass straight into the kind's wire Structs (`core/kubewire.py`: only the fields devstack uses, the
rest skipped unread), and the wire Struct into its summary (`core/kube.py`) by the rules of
`core/kubesummary.py`, the only place that interprets API fields. `summarise(kind, obj)` applies
the same rules to an object that is already a dict (tests, the report's raw lists).

`null` means "not set", as on the API server: a body holding one is decoded again with its nulls
dropped (rare: the API server itself never writes them). A value of the wrong type raises
`DecodeError` naming the kind, the object and the field's path (client-go refuses such an object too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from devstack.core import kube
from devstack.core import kubewire as wire
from devstack.core.kubesummary import (
    deployment_summary,
    endpointslice_summary,
    event_summary,
    pod_summary,
    service_summary,
)

W = TypeVar("W")
Info = TypeVar("Info", bound=kube.KubeInfo)


class DecodeError(ValueError):
    """A list body or watch line that does not match the API's types."""


def without_nulls(value: Any) -> Any:
    """`value` (decoded JSON) without the `null` members of its objects: "not set", as the API reads it."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


class WatchLine(msgspec.Struct, frozen=True, gc=False):
    """One decoded watch line.

    Attributes:
        type: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
        item: The summary (ADDED, MODIFIED, DELETED), else None.
        resource_version: The object's resourceVersion ("" when it has none).
        code: ERROR only: the Status code (410: the version is too old).
        message: ERROR only: the Status message.
    """

    type: str
    item: kube.KubeInfo | None
    resource_version: str
    code: int = 0
    message: str = ""


_CHANGES = frozenset(("ADDED", "MODIFIED", "DELETED"))
_RAW_LIST = msgspec.json.Decoder(wire.ObjectList[msgspec.Raw])


class Codec(Generic[W, Info]):
    """Decodes one kind's list bodies and watch lines into its summaries.

    Args:
        kind: The plural resource name (`pods`).
        wire_type: The kind's wire Struct.
        summary: The rule from a wire Struct to its summary.
    """

    def __init__(self, kind: str, wire_type: type[W], summary: Callable[[W], Info]):
        self.kind = kind
        self.summary = summary
        self._wire_type = wire_type
        self._line_type: Any = wire.WatchEvent[wire_type]  # type: ignore[valid-type]
        self._item = msgspec.json.Decoder(wire_type)
        self._line = msgspec.json.Decoder(self._line_type)

    def decode_list(self, body: bytes) -> tuple[tuple[Info, ...], str]:
        """A list body: (summaries, the list's resourceVersion).

        The items are found first (slices of `body`, nothing decoded) and then decoded one at a
        time, so only one item's wire Structs exist at once: a list of 30,000 events costs its
        body and its summaries, not a second copy of everything.
        """
        try:
            found = _RAW_LIST.decode(body)
        except msgspec.DecodeError as err:
            raise DecodeError(f"{self.kind} list: {err}") from None
        decode, summary = self._item.decode, self.summary
        items = []
        for raw in found.items:
            try:
                item = decode(raw)
            except msgspec.ValidationError:
                item = self._convert(msgspec.json.decode(raw), self._wire_type, "list")
            items.append(summary(item))
        return tuple(items), found.metadata.resource_version

    def decode_line(self, line: bytes) -> WatchLine:
        """One watch line (an ERROR line carries a Status, not an object of the kind)."""
        try:
            event = self._line.decode(line)
        except msgspec.ValidationError:
            return self._odd_line(line)
        except msgspec.DecodeError as err:
            raise DecodeError(f"{self.kind} watch: {err}") from None
        kind, obj = event.type, event.object
        if kind in _CHANGES and obj is not None:  # the fast path: one summary per line
            return WatchLine(kind, self.summary(obj), obj.metadata.resource_version)
        if kind == "ERROR":
            return self._odd_line(line)
        return self._watch_line(event)

    def _watch_line(self, event: Any) -> WatchLine:
        obj, kind = event.object, event.type
        if obj is None:
            return WatchLine(kind, None, "")
        return WatchLine(kind, self.summary(obj) if kind in _CHANGES else None, obj.metadata.resource_version)

    def _odd_line(self, line: bytes) -> WatchLine:
        """An ERROR line, or a line holding a null or a value of the wrong type."""
        raw = msgspec.json.decode(line)
        if isinstance(raw, dict) and raw.get("type") == "ERROR":
            status = self._convert(raw.get("object") or {}, wire.Status, "watch ERROR")
            return WatchLine("ERROR", None, "", status.code, status.message)
        return self._watch_line(self._convert(raw, self._line_type, "watch"))

    def _convert(self, raw: Any, into: Any, what: str) -> Any:
        try:
            return msgspec.convert(without_nulls(raw), into)
        except msgspec.ValidationError as err:
            raise DecodeError(f"{self.kind} {what}: {_named(raw)}: {err}") from None

    def from_dict(self, obj: Mapping[str, Any]) -> Info:
        """Summarise an object that is already a dict (same rules, same types)."""
        return self.summary(self._convert(obj, self._wire_type, "object"))


def _named(raw: Any) -> str:
    """`object NAMESPACE/NAME` of decoded JSON (an object, a watch event), for messages."""
    if isinstance(raw, dict) and isinstance(raw.get("object"), dict):
        raw = raw["object"]
    meta = raw.get("metadata") if isinstance(raw, dict) else None
    if not isinstance(meta, dict):
        return "an object"
    return f"object {meta.get('namespace') or ''}/{meta.get('name') or ''}".replace("object /", "object ")


CODECS: dict[str, Codec[Any, Any]] = {
    "pods": Codec("pods", wire.Pod, pod_summary),
    "deployments": Codec("deployments", wire.Deployment, deployment_summary),
    "services": Codec("services", wire.Service, service_summary),
    "endpointslices": Codec("endpointslices", wire.EndpointSlice, endpointslice_summary),
    "events": Codec("events", wire.Event, event_summary),
}


def codec(kind: str) -> Codec[Any, Any]:
    """The decoder of a watched kind (`pods`, `deployments`, `services`, `endpointslices`, `events`)."""
    return CODECS[kind]


def summarise(kind: str, obj: Mapping[str, Any]) -> kube.KubeInfo:
    """The summary of one object of `kind` given as a dict (raises `DecodeError` on wrong types)."""
    summary: kube.KubeInfo = CODECS[kind].from_dict(obj)
    return summary


def pod_info(obj: Mapping[str, Any]) -> kube.PodInfo:
    """Summarise a Pod given as a dict."""
    info: kube.PodInfo = CODECS["pods"].from_dict(obj)
    return info


def deployment_info(obj: Mapping[str, Any]) -> kube.DeploymentInfo:
    """Summarise a Deployment given as a dict."""
    info: kube.DeploymentInfo = CODECS["deployments"].from_dict(obj)
    return info


def service_info(obj: Mapping[str, Any]) -> kube.ServiceInfo:
    """Summarise a Service given as a dict."""
    info: kube.ServiceInfo = CODECS["services"].from_dict(obj)
    return info


def endpointslice_info(obj: Mapping[str, Any]) -> kube.EndpointSliceInfo:
    """Summarise an EndpointSlice given as a dict."""
    info: kube.EndpointSliceInfo = CODECS["endpointslices"].from_dict(obj)
    return info


def kube_event_info(obj: Mapping[str, Any]) -> kube.KubeEventInfo:
    """Summarise a core/v1 or events.k8s.io/v1 Event given as a dict."""
    info: kube.KubeEventInfo = CODECS["events"].from_dict(obj)
    return info


SUMMARISERS: dict[str, Callable[[Mapping[str, Any]], kube.KubeInfo]] = {
    "pods": pod_info,
    "deployments": deployment_info,
    "services": service_info,
    "endpointslices": endpointslice_info,
    "events": kube_event_info,
}
"""The watched kinds' summaries of objects given as dicts (same rules as the typed decoding)."""


def server_version(body: bytes) -> str:
    """`gitVersion` of a `GET /version` answer ("" when absent)."""
    try:
        return msgspec.json.decode(body, type=wire.VersionInfo).git_version
    except msgspec.DecodeError as err:
        raise DecodeError(f"/version: {err}") from None
