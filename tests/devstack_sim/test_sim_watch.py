"""Watch streams of the simulated API server, and stopping/starting the listener."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from sim_helpers import Api, client_ssl

from devstack_sim.app import Simulator
from devstack_sim.resources import CONFIGMAPS, PODS


def cm(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "labels": labels or {}}, "data": {}}


class Stream:
    """Reads watch events line by line from an open response."""

    def __init__(self, response: aiohttp.ClientResponse):
        self.response = response

    async def next(self, timeout: float = 5) -> dict[str, Any] | None:
        line = await asyncio.wait_for(self.response.content.readline(), timeout)
        return json.loads(line) if line else None

    async def rest(self, timeout: float = 5) -> list[dict[str, Any]]:
        events = []
        while (event := await self.next(timeout)) is not None:
            events.append(event)
        return events


async def open_watch(api: Api, path: str, **params: str) -> Stream:
    response = await api.session.get(api.base + path, params={"watch": "true", **params})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers.get("Transfer-Encoding") == "chunked"
    return Stream(response)


async def test_initial_events_then_changes_and_timeout(api: Api, sim: Simulator) -> None:
    sim.store.create(CONFIGMAPS, cm("first"))
    started = time.monotonic()
    stream = await open_watch(api, "/api/v1/namespaces/default/configmaps", timeoutSeconds="1")
    initial = [await stream.next(), await stream.next()]  # "first" and the seeded kube-root-ca.crt
    assert all(e is not None and e["type"] == "ADDED" and e["object"]["kind"] == "ConfigMap" for e in initial)
    assert [e["object"]["metadata"]["name"] for e in initial if e] == ["first", "kube-root-ca.crt"]
    sim.store.create(CONFIGMAPS, cm("second"))
    sim.store.mutate(CONFIGMAPS, "default", "second", lambda o: o["data"].update(k="v"))
    sim.store.delete(CONFIGMAPS, "default", "second")
    rest = await stream.rest()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in rest] == [
        ("ADDED", "second"),
        ("MODIFIED", "second"),
        ("DELETED", "second"),
    ]
    assert rest[1]["object"]["data"] == {"k": "v"}
    assert 0.9 < time.monotonic() - started < 3  # ended by timeoutSeconds


async def test_resume_from_resource_version_with_selector_transitions(api: Api, sim: Simulator) -> None:
    sim.store.create(PODS, {"metadata": {"name": "old", "namespace": "default"}, "spec": {}})
    rv = sim.store.resource_version
    stream = await open_watch(
        api, "/api/v1/pods", resourceVersion=str(rv), labelSelector="app=web", timeoutSeconds="1"
    )
    sim.store.create(
        PODS, {"metadata": {"name": "p", "namespace": "default", "labels": {"app": "db"}}, "spec": {}}
    )
    sim.store.mutate(PODS, "default", "p", lambda o: o["metadata"]["labels"].update(app="web"))
    sim.store.mutate(PODS, "default", "p", lambda o: o["metadata"]["labels"].update(app="db"))
    events = await stream.rest()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "p"),
        ("DELETED", "p"),
    ]
    assert int(events[0]["object"]["metadata"]["resourceVersion"]) > rv


async def test_bookmarks_while_idle_and_before_the_end(api: Api, sim: Simulator) -> None:
    stream = await open_watch(
        api,
        "/api/v1/namespaces/default/pods",
        resourceVersion=str(sim.store.resource_version),
        allowWatchBookmarks="true",
        timeoutSeconds="1",
    )
    events = await stream.rest()
    assert len(events) >= 3 and {e["type"] for e in events} == {"BOOKMARK"}
    assert events[-1]["type"] == "BOOKMARK"
    assert events[0]["object"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": str(sim.store.resource_version)},
    }
    plain = await open_watch(
        api, "/api/v1/namespaces/default/pods", resourceVersion="1", timeoutSeconds="0.5"
    )
    assert await plain.rest() == []


async def test_send_initial_events_ends_with_annotated_bookmark(api: Api, sim: Simulator) -> None:
    stream = await open_watch(
        api,
        "/api/v1/namespaces",
        sendInitialEvents="true",
        allowWatchBookmarks="true",
        resourceVersionMatch="NotOlderThan",
        timeoutSeconds="0.5",
    )
    events = await stream.rest()
    added = [e for e in events if e["type"] == "ADDED"]
    assert len(added) == 4
    marker = events[len(added)]
    assert marker["type"] == "BOOKMARK"
    assert marker["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


async def test_expired_resource_version_gives_error_event(api: Api, sim: Simulator) -> None:
    old = sim.store.resource_version
    sim.store.create(CONFIGMAPS, cm("newer"))
    status, _ = await api.call("POST", "/admin/faults", {"fault": "expire_history"})
    assert status == 200
    stream = await open_watch(
        api, "/api/v1/namespaces/default/configmaps", resourceVersion=str(old), timeoutSeconds="30"
    )
    events = await stream.rest()
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status_obj = events[0]["object"]
    assert status_obj["kind"] == "Status" and status_obj["code"] == 410 and status_obj["reason"] == "Expired"
    fresh = await open_watch(
        api,
        "/api/v1/namespaces/default/configmaps",
        resourceVersion=str(sim.store.resource_version),
        timeoutSeconds="0.3",
    )
    assert await fresh.rest() == []


async def test_drop_watches_ends_open_streams(api: Api, sim: Simulator) -> None:
    streams = [await open_watch(api, "/api/v1/pods", timeoutSeconds="60") for _ in range(3)]
    await asyncio.sleep(0.1)
    assert len(sim.server.context.streams) == 3
    assert sim.faults.drop_watches() == 3
    for stream in streams:
        assert await stream.rest(timeout=2) == []
    await asyncio.sleep(0.05)
    assert sim.server.context.streams == set()


async def test_stop_and_start_listening_on_the_same_port(api: Api, sim: Simulator) -> None:
    sim.store.create(CONFIGMAPS, cm("kept"))
    port = sim.port
    stream = await open_watch(api, "/api/v1/namespaces/default/configmaps", timeoutSeconds="60")
    assert (await stream.next())["type"] == "ADDED"
    await sim.server.stop_listening()
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ClientConnectionError, ConnectionError)):
        await stream.rest(timeout=2)
    connector = aiohttp.TCPConnector(ssl=client_ssl(sim), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as fresh:
        with pytest.raises(aiohttp.ClientConnectorError):
            await fresh.get(sim.server.url + "/version")
        await sim.server.start_listening()
        assert sim.port == port
        async with fresh.get(sim.server.url + "/api/v1/namespaces/default/configmaps/kept") as resp:
            assert resp.status == 200 and (await resp.json())["metadata"]["name"] == "kept"


async def test_many_pods_and_event_rate_to_several_watchers(api: Api, sim: Simulator) -> None:
    for i in range(5000):
        sim.store.create(
            PODS,
            {"metadata": {"name": f"p{i:04d}", "namespace": "default", "labels": {"app": "x"}}, "spec": {}},
        )
    started = time.monotonic()
    status, listed = await api.call("GET", "/api/v1/pods")
    list_seconds = time.monotonic() - started
    assert status == 200 and len(listed["items"]) == 5000
    rv = sim.store.resource_version
    watchers = [
        await open_watch(api, "/api/v1/pods", resourceVersion=str(rv), timeoutSeconds="8") for _ in range(4)
    ]
    total = 400
    started = time.monotonic()
    for i in range(total):  # 200 events/s for 2 s
        sim.store.mutate(
            PODS, "default", f"p{i:04d}", lambda o: o.setdefault("status", {}).update(phase="Running")
        )
        if i % 20 == 19:
            await asyncio.sleep(0.1)

    async def count(stream: Stream) -> int:
        seen = 0
        while seen < total:
            event = await stream.next(timeout=5)
            assert event is not None and event["type"] == "MODIFIED"
            seen += 1
        return seen

    assert await asyncio.gather(*(count(w) for w in watchers)) == [total] * 4
    elapsed = time.monotonic() - started
    assert elapsed < 6.0, elapsed
    assert list_seconds < 5.0, list_seconds
    assert sim.server.context.cache.hits >= total * 3  # one encoding per change, shared by watchers
