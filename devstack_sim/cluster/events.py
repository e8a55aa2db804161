"""Kubernetes Events, recorded and deduplicated the way client-go's event recorder does it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from devstack_sim.errors import ApiError
from devstack_sim.resources import EVENTS
from devstack_sim.store import Obj, Store

from .meta import now_rfc3339, parse_time

log = logging.getLogger(__name__)

NORMAL = "Normal"
WARNING = "Warning"

KUBELET = "kubelet"
SCHEDULER = "default-scheduler"
DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"

_CACHE_LIMIT = 20_000
_EVENT_TTL_SECONDS = 3600.0
_SWEEP_SECONDS = 60.0

_Key = tuple[str, str, str, str, str, str, str, str]


class EventRecorder:
    """Writes `v1.Event`s to the store; the same object, reason and message bump `count`."""

    def __init__(self, store: Store, node_name: str):
        self._store = store
        self.node_name = node_name
        self._names: OrderedDict[_Key, str] = OrderedDict()
        self._last_suffix = 0
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin expiring events older than an hour, like the API server's event TTL."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="sim-event-ttl")

    async def stop(self) -> None:
        """Stop the expiry task."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None

    def record(
        self,
        obj: Obj,
        type_: str,
        reason: str,
        message: str,
        component: str,
        field_path: str | None = None,
    ) -> None:
        """Record an event about `obj` (failures to write are logged, never raised)."""
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        key: _Key = (
            namespace,
            obj.get("kind", ""),
            meta.get("name", ""),
            meta.get("uid", ""),
            field_path or "",
            reason,
            message,
            component,
        )
        now = now_rfc3339()
        try:
            name = self._names.get(key)
            if name is not None and self._store.get(EVENTS, namespace, name) is not None:
                self._names.move_to_end(key)
                self._store.mutate(EVENTS, namespace, name, lambda ev: _bump(ev, now))
                return
            event = self._new_event(obj, namespace, type_, reason, message, component, field_path, now)
            created = self._store.create(EVENTS, event)
        except ApiError as exc:  # e.g. the namespace is gone
            log.debug("event %s for %s/%s not recorded: %s", reason, namespace, meta.get("name"), exc)
            return
        self._names[key] = created["metadata"]["name"]
        if len(self._names) > _CACHE_LIMIT:
            self._names.popitem(last=False)

    def _new_event(
        self,
        obj: Obj,
        namespace: str,
        type_: str,
        reason: str,
        message: str,
        component: str,
        field_path: str | None,
        now: str,
    ) -> Obj:
        meta = obj.get("metadata", {})
        involved: dict[str, Any] = {
            "kind": obj.get("kind", ""),
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "uid": meta.get("uid", ""),
            "apiVersion": obj.get("apiVersion", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if field_path:
            involved["fieldPath"] = field_path
        source: dict[str, str] = {"component": component}
        if component == KUBELET:
            source["host"] = self.node_name
        return {
            "metadata": {"name": f"{meta.get('name', 'unknown')}.{self._suffix()}", "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": self.node_name if component == KUBELET else "",
        }

    def _suffix(self) -> str:
        # client-go names events `<object>.<UnixNano in hex>`; keep them unique within this process.
        value = max(time.time_ns(), self._last_suffix + 1)
        self._last_suffix = value
        return f"{value:x}"

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(_SWEEP_SECONDS)
            self.expire(time.time() - _EVENT_TTL_SECONDS)

    def expire(self, older_than: float) -> int:
        """Delete events last seen before `older_than` (epoch seconds); returns how many."""
        removed = 0
        for event in self._store.iter_all(EVENTS):
            seen = parse_time(event.get("lastTimestamp"))
            if seen is not None and seen < older_than:
                meta = event["metadata"]
                if self._store.get(EVENTS, meta["namespace"], meta["name"]) is not None:
                    self._store.delete(EVENTS, meta["namespace"], meta["name"])
                    removed += 1
        return removed


def _bump(event: Obj, now: str) -> None:
    event["count"] = int(event.get("count") or 1) + 1
    event["lastTimestamp"] = now
