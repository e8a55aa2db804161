"""The Kubernetes kinds devstack can show, describe and browse, with the names a user types for them.

`KINDS` is the one table: the plural resource name (what the API path and the store use), the
`kind`, its `apiVersion`, whether it is namespaced, and the aliases `kubectl` and k9s accept
(`cm`, `deploy`, `pvc`, ...). `find_kind` resolves what a user typed (`:cm`, `describe secret/x`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KindSpec:
    """One kind devstack knows."""

    plural: str
    kind: str
    api_version: str
    aliases: tuple[str, ...] = ()
    namespaced: bool = True

    @property
    def singular(self) -> str:
        """`configmap` for ConfigMap (what `kind/name` references use)."""
        return self.kind.lower()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that means this kind."""
        return (self.plural, self.singular, *self.aliases)


KINDS: tuple[KindSpec, ...] = (
    KindSpec("pods", "Pod", "v1", ("po", "pod")),
    KindSpec("deployments", "Deployment", "apps/v1", ("deploy", "deployment", "dp")),
    KindSpec("replicasets", "ReplicaSet", "apps/v1", ("rs",)),
    KindSpec("services", "Service", "v1", ("svc",)),
    KindSpec("configmaps", "ConfigMap", "v1", ("cm",)),
    KindSpec("secrets", "Secret", "v1", ("sec",)),
    KindSpec("ingresses", "Ingress", "networking.k8s.io/v1", ("ing",)),
    KindSpec("jobs", "Job", "batch/v1", ("job",)),
    KindSpec("cronjobs", "CronJob", "batch/v1", ("cj",)),
    KindSpec("persistentvolumeclaims", "PersistentVolumeClaim", "v1", ("pvc", "pvcs")),
    KindSpec("endpoints", "Endpoints", "v1", ("ep",)),
    KindSpec("endpointslices", "EndpointSlice", "discovery.k8s.io/v1", ("eps",)),
    KindSpec("events", "Event", "v1", ("ev",)),
    KindSpec("namespaces", "Namespace", "v1", ("ns",), namespaced=False),
)

BY_PLURAL: dict[str, KindSpec] = {spec.plural: spec for spec in KINDS}

BROWSABLE: tuple[str, ...] = (
    "pods",
    "deployments",
    "services",
    "configmaps",
    "secrets",
    "ingresses",
    "jobs",
    "cronjobs",
    "persistentvolumeclaims",
    "endpoints",
    "events",
    "namespaces",
)
"""What the kind picker (`:`) offers, in this order."""


def find_kind(text: str) -> KindSpec | None:
    """The kind a user means by `text` (plural, singular, alias or Kind; any case), or None."""
    wanted = text.strip().lower()
    return next((spec for spec in KINDS if wanted in spec.names or wanted == spec.kind.lower()), None)


def completions(prefix: str) -> list[KindSpec]:
    """Browsable kinds whose names start with `prefix` (all of them for "")."""
    wanted = prefix.strip().lower()
    found = [BY_PLURAL[p] for p in BROWSABLE if any(n.startswith(wanted) for n in BY_PLURAL[p].names)]
    return found


def split_reference(text: str) -> tuple[KindSpec, str]:
    """`kind/name` (or `kind name`) → (spec, name).

    Raises:
        ValueError: no name, or a kind devstack does not know (the message lists the known ones).
    """
    kind, sep, name = text.strip().partition("/")
    if not sep:
        kind, _, name = text.strip().partition(" ")
    spec = find_kind(kind)
    if spec is None:
        known = ", ".join(s.singular for s in KINDS)
        raise ValueError(f"unknown kind {kind!r} in {text!r}: devstack knows {known}")
    if not name.strip():
        raise ValueError(f"{text!r} names no object: write KIND/NAME, e.g. pod/backend-5d9f-x2x")
    return spec, name.strip()
