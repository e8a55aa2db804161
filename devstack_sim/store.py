"""The simulator's object store: etcd and the watch cache in one place.

All methods run on the simulator's event loop thread; other threads hand work over with
`loop.call_soon_threadsafe`. Stored objects are never mutated in place: every write stores a new
dict, so readers may keep references without copying (and must not mutate what they get).
"""

from __future__ import annotations

import asyncio
import copy
import random
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack_sim import errors
from devstack_sim.resources import BY_KEY, NAMESPACES, PODS, ResourceType

Obj = dict[str, Any]
Match = Callable[[Obj], bool]

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_WATCH_QUEUE_LIMIT = 100_000


def now_rfc3339() -> str:
    """Current time as Kubernetes writes timestamps (second precision, UTC, `Z`)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(length: int = 5) -> str:
    """A suffix drawn from the alphabet Kubernetes uses for generated names."""
    return "".join(random.choice(_NAME_CHARS) for _ in range(length))


@dataclass(frozen=True)
class Change:
    """One stored change: what watches stream and controllers react to."""

    type: str  # ADDED | MODIFIED | DELETED
    rtype: ResourceType
    obj: Obj
    old: Obj | None
    rv: int


@dataclass(eq=False)
class Watch:
    """An open watch on one resource type; iterate it to receive changes, `None` ends it."""

    rtype: ResourceType
    namespace: str | None
    match: Match | None
    queue: asyncio.Queue[Change | None] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def offer(self, change: Change) -> None:
        """Queue a change if it concerns this watch (translating selector entry/exit)."""
        if self.closed or change.rtype.key != self.rtype.key:
            return
        if self.namespace and _namespace(change.obj) != self.namespace:
            return
        new_in = self.match is None or self.match(change.obj)
        old_in = change.old is not None and (self.match is None or self.match(change.old))
        kind = change.type
        if kind == "MODIFIED" and new_in and not old_in:
            kind = "ADDED"
        elif kind == "MODIFIED" and old_in and not new_in:
            kind = "DELETED"
        elif not new_in:
            return
        if self.queue.qsize() > _WATCH_QUEUE_LIMIT:
            self.close()
            return
        self.queue.put_nowait(Change(kind, change.rtype, change.obj, change.old, change.rv))

    def close(self) -> None:
        """End the watch: the reader sees `None` next."""
        if not self.closed:
            self.closed = True
            self.queue.put_nowait(None)


def _namespace(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("namespace") or "")


class Store:
    """In-memory objects by type, a global resourceVersion, a bounded change history, watches."""

    def __init__(self, history_limit: int = 20_000):
        self._objects: dict[str, dict[tuple[str, str], Obj]] = {}
        self._rv = 0
        self._history: deque[Change] = deque(maxlen=history_limit)
        self._compacted_rv = 0
        self._watches: set[Watch] = set()
        self._subscribers: list[Callable[[Change], None]] = []
        # owner uid → (type key, namespace, name) of every object naming it in ownerReferences,
        # so a cascade visits the dependents only instead of every stored object.
        self._dependents: dict[str, set[tuple[str, str, str]]] = {}

    # ----------------------------------------------------------------- reads
    @property
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""
        return self._rv

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj | None:
        """The stored object, or None."""
        return self._objects.get(rtype.key, {}).get((namespace if rtype.namespaced else "", name))

    def require(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        """The stored object, or a 404 ApiError."""
        obj = self.get(rtype, namespace, name)
        if obj is None:
            raise errors.not_found(rtype.plural, name, rtype.group)
        return obj

    def list(
        self, rtype: ResourceType, namespace: str | None = None, match: Match | None = None
    ) -> list[Obj]:
        """Objects of a type, optionally in one namespace and passing `match`, in etcd key order."""
        table = self._objects.get(rtype.key, {})
        keys = sorted(table)
        return [
            table[key]
            for key in keys
            if (not namespace or key[0] == namespace) and (match is None or match(table[key]))
        ]

    def iter_all(self, rtype: ResourceType) -> Iterator[Obj]:
        """Every stored object of a type, unordered (cheap)."""
        return iter(list(self._objects.get(rtype.key, {}).values()))

    # ---------------------------------------------------------------- writes
    def create(self, rtype: ResourceType, obj: Obj) -> Obj:
        """Store a new object; fills name (generateName), uid, timestamps, resourceVersion."""
        new = copy.deepcopy(obj)
        meta = new.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = f"{meta['generateName']}{random_suffix()}"
        name = meta.get("name")
        if not name:
            raise errors.invalid(
                rtype.kind, "", "metadata.name: Required value: name or generateName is required"
            )
        namespace = meta.get("namespace") or ("default" if rtype.namespaced else "")
        if not rtype.namespaced:
            meta.pop("namespace", None)
            namespace = ""
        else:
            meta["namespace"] = namespace
            if rtype.key != NAMESPACES.key and self.get(NAMESPACES, "", namespace) is None:
                raise errors.not_found("namespaces", namespace)
        table = self._objects.setdefault(rtype.key, {})
        if (namespace, name) in table:
            raise errors.already_exists(rtype.plural, name, rtype.group)
        new["apiVersion"] = rtype.group_version
        new["kind"] = rtype.kind
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_rfc3339()
        meta.pop("deletionTimestamp", None)
        if "spec" in new:
            meta["generation"] = 1
        return self._commit("ADDED", rtype, new, None)

    def update(self, rtype: ResourceType, obj: Obj, subresource: str | None = None) -> Obj:
        """Replace an object (or only its status); honours a resourceVersion precondition."""
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or ("default" if rtype.namespaced else "")
        name = meta.get("name", "")
        old = self.require(rtype, namespace, name)
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and str(wanted_rv) != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rtype.plural, name, rtype.group)
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = copy.deepcopy(obj.get("status", {}))
        else:
            new = copy.deepcopy(obj)
            if "status" in rtype.subresources and "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            new_meta = new.setdefault("metadata", {})
            for kept in ("uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace"):
                if kept in old["metadata"]:
                    new_meta[kept] = old["metadata"][kept]
            if "generation" in old["metadata"] and new.get("spec") != old.get("spec"):
                new_meta["generation"] = old["metadata"]["generation"] + 1
        new["apiVersion"] = rtype.group_version
        new["kind"] = rtype.kind
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if new == old:
            return old
        return self._commit("MODIFIED", rtype, new, old)

    def mutate(self, rtype: ResourceType, namespace: str, name: str, change: Callable[[Obj], None]) -> Obj:
        """Apply `change` to a fresh copy of the stored object and store it (no precondition)."""
        old = self.require(rtype, namespace, name)
        new = copy.deepcopy(old)
        change(new)
        if new == old:
            return old
        if "generation" in old["metadata"] and new.get("spec") != old.get("spec"):
            new["metadata"]["generation"] = old["metadata"]["generation"] + 1
        return self._commit("MODIFIED", rtype, new, old)

    def delete(self, rtype: ResourceType, namespace: str, name: str, grace: bool = True) -> Obj:
        """Delete an object and (in the background) its dependents.

        Pods are deleted gracefully unless `grace` is False: they get `deletionTimestamp` and the
        simulated kubelet removes them once their process has stopped.
        """
        old = self.require(rtype, namespace, name)
        if rtype.key == PODS.key and grace:
            if old["metadata"].get("deletionTimestamp"):
                return old
            return self.mutate(rtype, namespace, name, _mark_deleting)
        key = (namespace if rtype.namespaced else "", name)
        del self._objects[rtype.key][key]
        gone = copy.deepcopy(old)
        self._commit("DELETED", rtype, gone, old, store=False)
        if rtype.key == NAMESPACES.key:
            self._delete_namespace_contents(name)
        self._delete_dependents(old["metadata"]["uid"])
        return gone

    # ------------------------------------------------------------- watching
    def watch(
        self,
        rtype: ResourceType,
        namespace: str | None,
        match: Match | None,
        since_rv: int | None,
    ) -> Watch:
        """Open a watch. `since_rv` None/0 replays the current objects as ADDED first.

        Raises:
            ApiError: 410 Expired when `since_rv` is older than the history window.
        """
        watch = Watch(rtype, namespace, match)
        if not since_rv:
            for obj in self.list(rtype, namespace, match):
                watch.queue.put_nowait(Change("ADDED", rtype, obj, None, self._rv))
        else:
            if since_rv < self._compacted_rv:
                raise errors.expired(since_rv, self._compacted_rv)
            for change in self._history:
                if change.rv > since_rv:
                    watch.offer(change)
        self._watches.add(watch)
        return watch

    def stop_watch(self, watch: Watch) -> None:
        """Forget a watch (its reader went away)."""
        watch.close()
        self._watches.discard(watch)

    def drop_all_watches(self) -> int:
        """Fault: end every open watch; returns how many were open."""
        count = len(self._watches)
        for watch in list(self._watches):
            self.stop_watch(watch)
        return count

    def expire_history(self) -> None:
        """Fault: forget the change history so any older resourceVersion gets 410 Expired."""
        self._history.clear()
        self._compacted_rv = self._rv

    def subscribe(self, callback: Callable[[Change], None]) -> None:
        """Call `callback(change)` after every change (controllers); called on the loop thread."""
        self._subscribers.append(callback)

    # ------------------------------------------------------------- internals
    def _commit(self, kind: str, rtype: ResourceType, new: Obj, old: Obj | None, store: bool = True) -> Obj:
        self._rv += 1
        new["metadata"]["resourceVersion"] = str(self._rv)
        if old is not None:
            self._index_owners(rtype, old, add=False)
        if store:
            meta = new["metadata"]
            key = (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])
            self._objects.setdefault(rtype.key, {})[key] = new
            self._index_owners(rtype, new, add=True)
        change = Change(kind, rtype, new, old, self._rv)
        if len(self._history) == self._history.maxlen:
            self._compacted_rv = self._history[0].rv
        self._history.append(change)
        for watch in list(self._watches):
            if watch.closed:
                self._watches.discard(watch)
            else:
                watch.offer(change)
        for callback in self._subscribers:
            callback(change)
        return new

    def _index_owners(self, rtype: ResourceType, obj: Obj, add: bool) -> None:
        meta = obj["metadata"]
        entry = (rtype.key, meta.get("namespace", "") if rtype.namespaced else "", meta["name"])
        for ref in meta.get("ownerReferences") or []:
            uid = ref.get("uid") if isinstance(ref, dict) else None
            if not uid:
                continue
            if add:
                self._dependents.setdefault(uid, set()).add(entry)
            else:
                dependents = self._dependents.get(uid)
                if dependents is not None:
                    dependents.discard(entry)
                    if not dependents:
                        del self._dependents[uid]

    def _delete_dependents(self, owner_uid: str) -> None:
        for rtype_key, namespace, name in sorted(self._dependents.get(owner_uid, ())):
            rtype = BY_KEY[rtype_key]
            obj = self.get(rtype, namespace, name)
            owners = (obj or {}).get("metadata", {}).get("ownerReferences") or []
            if obj is not None and any(ref.get("uid") == owner_uid for ref in owners):
                self.delete(rtype, namespace, name)

    def _delete_namespace_contents(self, namespace: str) -> None:
        for rtype_key, table in list(self._objects.items()):
            rtype = BY_KEY[rtype_key]
            if not rtype.namespaced:
                continue
            for ns, name in [key for key in table if key[0] == namespace]:
                if self.get(rtype, ns, name) is not None:
                    self.delete(rtype, ns, name, grace=False)


def _mark_deleting(pod: Obj) -> None:
    meta = pod["metadata"]
    meta["deletionTimestamp"] = now_rfc3339()
    grace = pod.get("spec", {}).get("terminationGracePeriodSeconds", 30)
    meta["deletionGracePeriodSeconds"] = grace
