"""Reducers for the live Kubernetes state fed by watches."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from devstack.core import events as ev
from devstack.core.derive import retarget_gone
from devstack.core.handlers import HandlerTable
from devstack.core.kube import WATCHED_KINDS, PodInfo
from devstack.core.resources import AnyInfo
from devstack.core.state import Browse, ClusterView, LogTail, State

table = HandlerTable()
on = table.on

MAX_EVENTS = 1000


# The `State` field holding each watched kind (Kubernetes Events are `kube_events`).
STATE_FIELDS = {kind: "kube_events" if kind == "events" else kind for kind in WATCHED_KINDS}


def _collection(state: State, kind: str) -> Mapping[str, Any]:
    if kind not in STATE_FIELDS:
        raise ValueError(f"unknown kind {kind!r}")
    value: Mapping[str, Any] = getattr(state, STATE_FIELDS[kind])
    return value


def _trim_events(events: dict[str, Any]) -> dict[str, Any]:
    if len(events) <= MAX_EVENTS:
        return events
    newest = sorted(events.values(), key=lambda e: e.last_seen)[-MAX_EVENTS:]
    return {e.key: e for e in newest}


def _with(state: State, kind: str, items: dict[str, Any]) -> State:
    if kind == "events":
        return replace(state, kube_events=_trim_events(items))
    if kind == "pods":
        return replace(state, pods=items)
    if kind == "deployments":
        return replace(state, deployments=items)
    if kind == "services":
        return replace(state, services=items)
    return replace(state, endpointslices=items)


@on(ev.KubeSynced)
def _synced(state: State, event: ev.KubeSynced) -> State:
    items = {item.key: item for item in event.items}
    if event.scope:
        if event.scope != state.browse.scope:
            return state  # a late list of a browser watch that was replaced
        return replace(state, browse=replace(state.browse, items=items, synced=True))
    state = _with(state, event.kind, items)
    if event.kind != "pods" or not state.forwards:
        return state
    alive = {item.name for item in event.items if isinstance(item, PodInfo) and not item.deleting}
    return retarget_gone(state, {v.pod for v in state.forwards.values() if v.pod and v.pod not in alive})


def _gone_pods(changes: tuple[ev.KubeChanged, ...]) -> set[str]:
    """Pods of the profile's namespace deleted or terminating in these changes (no forward's target)."""
    return {
        c.item.name
        for c in changes
        if c.kind == "pods"
        and not c.scope
        and (c.change == "DELETED" or (isinstance(c.item, PodInfo) and c.item.deleting))
    }


def _apply(items: dict[str, AnyInfo], change: ev.KubeChanged) -> None:
    if change.change == "DELETED":
        items.pop(change.item.key, None)
    else:
        items[change.item.key] = change.item


@on(ev.KubeChanged)
def _changed(state: State, event: ev.KubeChanged) -> State:
    return _batch(state, ev.KubeBatch((event,)))


@on(ev.KubeBatch)
def _batch(state: State, event: ev.KubeBatch) -> State:
    copies: dict[str, dict[str, AnyInfo]] = {}
    browsed: dict[str, AnyInfo] | None = None
    for change in event.changes:
        if change.scope:
            if change.scope == state.browse.scope:
                browsed = dict(state.browse.items) if browsed is None else browsed
                _apply(browsed, change)
            continue
        if change.kind not in copies:
            copies[change.kind] = dict(_collection(state, change.kind))
        _apply(copies[change.kind], change)
    for kind, items in copies.items():
        state = _with(state, kind, items)
    if browsed is not None:
        state = replace(state, browse=replace(state.browse, items=browsed))
    return retarget_gone(state, _gone_pods(event.changes)) if state.forwards else state


@on(ev.BrowseStarted)
def _browse_started(state: State, event: ev.BrowseStarted) -> State:
    return replace(state, browse=Browse(event.kind, event.namespace))


@on(ev.BrowseStopped)
def _browse_stopped(state: State, _event: ev.BrowseStopped) -> State:
    return replace(state, browse=Browse())


@on(ev.ApiStatus)
def _api_status(state: State, event: ev.ApiStatus) -> State:
    old = state.cluster
    if event.reachable:
        cluster = ClusterView("reachable", "", None, event.server_version or old.server_version)
    else:
        since = old.unreachable_since if old.api == "unreachable" else event.at
        cluster = ClusterView("unreachable", event.error, since, old.server_version)
    return replace(state, cluster=cluster)


@on(ev.PodLogsFetched)
def _logs(state: State, event: ev.PodLogsFetched) -> State:
    logs = dict(state.logs)
    logs[event.pod] = LogTail(event.container, event.previous, event.lines)
    return replace(state, logs=logs)
