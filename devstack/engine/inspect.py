"""Everything `describe` and the YAML view need about one object: the object, its Events and the
objects its describe text mentions (a Deployment's ReplicaSets, a Service's EndpointSlices)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE

if TYPE_CHECKING:
    from devstack.core.kinds import KindSpec
    from devstack.sources.kubeapi import KubeApi


@dataclass(frozen=True)
class Inspected:
    """One object as the API returned it, with its Events and related objects."""

    obj: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    related: list[dict[str, Any]] = field(default_factory=list)


def inspect(api: KubeApi, spec: KindSpec, name: str, namespace: str | None = None) -> Inspected:
    """Read `spec.kind` `name` (in `namespace`, default the profile's) with its Events.

    Raises:
        DevstackError: no such object (exit 2), naming the namespace and the context.
    """
    where = namespace or api.target.namespace
    obj = api.read_raw(spec.plural, name, namespace)
    if obj is None:
        scope = f" in namespace {where}" if spec.namespaced else ""
        raise DevstackError(
            f'{spec.singular} "{name}" not found{scope} (context {api.target.context})', exit_code=USAGE
        )
    obj.setdefault("kind", spec.kind)
    obj.setdefault("apiVersion", spec.api_version)
    events = (
        []
        if spec.plural == "events"
        else api.events_of(spec.kind, name, namespace if spec.namespaced else "default")
    )
    return Inspected(obj, events, _related(api, spec, obj, namespace))


def _related(
    api: KubeApi, spec: KindSpec, obj: dict[str, Any], namespace: str | None
) -> list[dict[str, Any]]:
    name = str((obj.get("metadata") or {}).get("name", ""))
    if spec.plural == "deployments":
        labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not labels:
            return []
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        uid = (obj.get("metadata") or {}).get("uid")
        owned = api.list_raw("replicasets", namespace, label_selector=selector)
        return [
            r
            for r in owned
            if any(o.get("uid") == uid for o in (r.get("metadata") or {}).get("ownerReferences") or [])
        ]
    if spec.plural == "services":
        return api.list_raw("endpointslices", namespace, label_selector=f"kubernetes.io/service-name={name}")
    return []
