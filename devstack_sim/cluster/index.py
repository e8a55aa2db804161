"""Indexes of stored objects by namespace and by controlling owner, kept current from store changes.

Stored objects are never mutated in place, so the indexes hold the store's own dicts (no copies).
"""

from __future__ import annotations

from collections import defaultdict

from devstack_sim.store import Change, Obj


def _controller_uid(obj: Obj) -> str | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid"))
    return None


class ObjectIndex:
    """Objects of one type by namespace and by the uid of their controller."""

    def __init__(self) -> None:
        self._by_namespace: defaultdict[str, dict[str, Obj]] = defaultdict(dict)
        self._by_owner: defaultdict[str, dict[tuple[str, str], Obj]] = defaultdict(dict)

    def apply(self, change: Change) -> None:
        """Update the index from one store change of its type."""
        if change.old is not None:
            self._remove(change.old)
        if change.type != "DELETED":
            self._add(change.obj)

    def seed(self, obj: Obj) -> None:
        """Add an object that existed before the index subscribed."""
        self._add(obj)

    def in_namespace(self, namespace: str) -> dict[str, Obj]:
        """Name → object for one namespace (do not mutate)."""
        return self._by_namespace.get(namespace, {})

    def owned_by(self, uid: str) -> list[Obj]:
        """Objects whose controller ownerReference has this uid."""
        return list(self._by_owner.get(uid, {}).values())

    def count_owned_by(self, uid: str) -> int:
        """How many objects a controller owns."""
        return len(self._by_owner.get(uid, {}))

    def _add(self, obj: Obj) -> None:
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        self._by_namespace[namespace][name] = obj
        owner = _controller_uid(obj)
        if owner:
            self._by_owner[owner][(namespace, name)] = obj

    def _remove(self, obj: Obj) -> None:
        meta = obj["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        names = self._by_namespace.get(namespace)
        if names is not None:
            names.pop(name, None)
            if not names:
                del self._by_namespace[namespace]
        owner = _controller_uid(obj)
        if owner:
            owned = self._by_owner.get(owner)
            if owned is not None:
                owned.pop((namespace, name), None)
                if not owned:
                    del self._by_owner[owner]
