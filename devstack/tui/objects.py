"""Which Kubernetes object a key means: the selected row of the focused pane, of the kind browser, or
the object a detail, describe or YAML view shows."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.core.kinds import BY_PLURAL


@dataclass(frozen=True)
class ObjectRef:
    """One object: its kind (a `core.kinds` plural), namespace ("" for cluster-scoped) and name."""

    plural: str
    namespace: str
    name: str

    @property
    def title(self) -> str:
        """`pod/backend-5d9f-x2x`."""
        return f"{BY_PLURAL[self.plural].singular}/{self.name}"

    @property
    def kind(self) -> str:
        """`Pod`."""
        return BY_PLURAL[self.plural].kind


# "why is this red?" subjects and dashboard panes → the kind of object they show
PANE_KINDS = {"pods": "pods", "workloads": "deployments", "services": "services", "events": "events"}
SUBJECT_KINDS = {"pod": "pods", "workload": "deployments", "service": "services", "event": "events"}


def ref_of_key(plural: str, key: str) -> ObjectRef:
    """The object of a state key (`namespace/name`, or `name` for cluster-scoped kinds)."""
    namespace, _, name = key.rpartition("/")
    return ObjectRef(plural, namespace, name)
