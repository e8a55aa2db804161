"""Server-side Table output: cell texts, the HTTP negotiation, watch events, and what kubectl prints."""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import pytest
from helpers import require
from sim_helpers import Api, kubectl, kubectl_available, start_kubectl

from devstack_sim import printers, tables
from devstack_sim.app import Simulator
from devstack_sim.resources import DEPLOYMENTS, EVENTS, PODS, SERVICES

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"


def ago(seconds: int) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 3600, "3d1h"),
        (20 * 86400, "20d"),
        (800 * 86400, "2y70d"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert tables.human_duration(seconds) == text


def pod(name: str, status: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "creationTimestamp": ago(30), **meta},
        "spec": {"nodeName": "x-control-plane", "containers": [{"name": "c", "image": "i"}]},
        "status": status,
    }


def cells(obj: dict[str, Any]) -> list[Any]:
    return printers._pod(obj)


def test_pod_status_column() -> None:
    crash = {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": "c",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 3, "finishedAt": ago(20)}},
            }
        ],
    }
    assert cells(pod("a", crash))[:3] == ["0/1", "CrashLoopBackOff", "4 (20s ago)"]
    running = {
        "phase": "Running",
        "podIP": "10.244.0.9",
        "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "state": {"running": {}}}],
    }
    assert cells(pod("b", running)) == [
        "1/1",
        "Running",
        "0",
        "30s",
        "10.244.0.9",
        "x-control-plane",
        "<none>",
        "<none>",
    ]
    init = {
        "phase": "Pending",
        "initContainerStatuses": [{"name": "i", "state": {"waiting": {"reason": "PodInitializing"}}}],
    }
    initializing = pod("c", init)
    initializing["spec"]["initContainers"] = [{"name": "i", "image": "i"}]
    assert cells(initializing)[1] == "Init:0/1"
    oom = {
        "phase": "Running",
        "containerStatuses": [
            {"name": "c", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}
        ],
    }
    assert cells(pod("d", oom))[1] == "OOMKilled"
    assert cells(pod("e", running, deletionTimestamp=ago(1)))[1] == "Terminating"
    assert cells(pod("f", {"phase": "Pending"}))[1] == "Pending"


async def test_table_list_get_and_include_object(api: Api, sim: Simulator) -> None:
    sim.store.create(PODS, pod("web", {"phase": "Pending"}))
    status, table = await api.call("GET", "/api/v1/namespaces/default/pods", headers={"Accept": TABLE})
    assert status == 200 and table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]][:5] == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
    ]
    row = table["rows"][0]
    assert row["cells"][:3] == ["web", "0/1", "Pending"]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"] == "web"
    _, whole = await api.call(
        "GET", "/api/v1/namespaces/default/pods/web", headers={"Accept": TABLE}, includeObject="Object"
    )
    assert len(whole["rows"]) == 1 and whole["rows"][0]["object"]["spec"]["nodeName"] == "x-control-plane"
    _, bare = await api.call(
        "GET", "/api/v1/namespaces/default/pods", headers={"Accept": TABLE}, includeObject="None"
    )
    assert "object" not in bare["rows"][0]
    status, body = await api.call(
        "GET", "/api/v1/namespaces/default/pods", headers={"Accept": TABLE}, includeObject="x"
    )
    assert status == 400 and body["reason"] == "BadRequest"
    _, plain = await api.call("GET", "/api/v1/namespaces/default/pods")
    assert plain["kind"] == "PodList"


async def test_table_watch_sends_headers_once(api: Api, sim: Simulator) -> None:
    rv = str(sim.store.resource_version)
    response = await api.session.get(
        api.base + "/api/v1/namespaces/default/services",
        params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": "1"},
        headers={"Accept": TABLE},
    )
    service = {
        "metadata": {"name": "svc", "namespace": "default"},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.96.0.10",
            "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}],
        },
    }
    sim.store.create(SERVICES, service)
    sim.store.mutate(
        SERVICES, "default", "svc", lambda o: o["metadata"].setdefault("labels", {}).update(a="b")
    )
    events = [json.loads(line) for line in (await response.content.read()).splitlines()]
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    assert events[0]["object"]["kind"] == "Table" and events[0]["object"]["columnDefinitions"]
    assert events[1]["object"]["columnDefinitions"] == []
    assert events[0]["object"]["rows"][0]["cells"][:5] == [
        "svc",
        "NodePort",
        "10.96.0.10",
        "<none>",
        "80:30080/TCP",
    ]


async def test_kubectl_prints_server_side_columns(sim: Simulator) -> None:
    require(kubectl_available(), "kubectl")
    running = {
        "phase": "Running",
        "podIP": "10.244.0.7",
        "containerStatuses": [{"name": "c", "ready": True, "restartCount": 0, "state": {"running": {}}}],
    }
    sim.store.create(PODS, pod("web-1", running))
    sim.store.create(
        DEPLOYMENTS,
        {
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": ago(5)},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{"name": "c", "image": "web:1"}]}},
            },
            "status": {"readyReplicas": 1, "updatedReplicas": 2, "availableReplicas": 1},
        },
    )
    sim.store.create(
        EVENTS,
        {
            "metadata": {"name": "web-1.abc", "namespace": "default"},
            "type": "Warning",
            "reason": "BackOff",
            "message": "Back-off restarting failed container",
            "involvedObject": {"kind": "Pod", "name": "web-1"},
            "lastTimestamp": ago(3),
        },
    )
    pods = await kubectl(sim, "get", "pods", "-o", "wide")
    assert pods.code == 0, pods.err
    header, line = pods.out.splitlines()
    assert header.split() == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    assert line.split()[:4] == ["web-1", "1/1", "Running", "0"] and "10.244.0.7" in line
    deploys = await kubectl(sim, "get", "deploy")
    assert deploys.out.splitlines()[1].split()[:4] == ["web", "1/2", "2", "1"]
    events = await kubectl(sim, "get", "events")
    assert events.out.splitlines()[0].split()[:3] == ["LAST", "SEEN", "TYPE"]
    assert "Warning   BackOff   pod/web-1   Back-off restarting failed container" in events.out
    proc = await start_kubectl(sim, "get", "pods", "-w")
    try:
        assert proc.stdout is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 15)).split()[0] == b"NAME"
        assert (await asyncio.wait_for(proc.stdout.readline(), 15)).split()[:3] == [
            b"web-1",
            b"1/1",
            b"Running",
        ]
        await asyncio.sleep(0.5)
        sim.store.mutate(PODS, "default", "web-1", lambda o: o["metadata"].update(deletionTimestamp=ago(0)))
        changed = await asyncio.wait_for(proc.stdout.readline(), 15)
        assert changed.split()[:3] == [b"web-1", b"1/1", b"Terminating"]
    finally:
        proc.kill()
        await proc.wait()
