"""The scheduler: binding, requests against allocatable, node selectors, retries when room frees up."""

from __future__ import annotations

import asyncio

from cluster_helpers import condition, events_for, pod, wait_for

from devstack_sim.cluster import Cluster
from devstack_sim.resources import PODS
from devstack_sim.store import Store


def with_requests(name: str, cpu: str, memory: str = "64Mi") -> dict:
    manifest = pod(name, image="sim/noop", port=None, readiness=None)
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu, "memory": memory}}
    return manifest


def scheduled(store: Store, name: str) -> str:
    return condition(store.get(PODS, "default", name), "PodScheduled").get("status", "")


async def test_pod_is_bound_with_a_scheduled_event(store: Store, cluster: Cluster) -> None:
    store.create(PODS, with_requests("small", "500m"))
    await wait_for(lambda: scheduled(store, "small") == "True", 5, "bound")
    obj = store.get(PODS, "default", "small")
    assert obj["spec"]["nodeName"] == cluster.node_name
    [event] = events_for(store, "small", "Scheduled")
    assert event["message"] == f"Successfully assigned default/small to {cluster.node_name}"
    assert event["source"]["component"] == "default-scheduler"
    assert event["type"] == "Normal"


async def test_huge_cpu_request_stays_pending_with_failed_scheduling(store: Store, cluster: Cluster) -> None:
    store.create(PODS, with_requests("huge", "64"))
    await wait_for(lambda: scheduled(store, "huge") == "False", 5, "unschedulable")
    obj = store.get(PODS, "default", "huge")
    cond = condition(obj, "PodScheduled")
    expected = (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
        "1 No preemption victims found for incoming pod."
    )
    assert (cond["reason"], cond["message"]) == ("Unschedulable", expected)
    assert obj["status"]["phase"] == "Pending"
    assert not obj["spec"].get("nodeName")
    [event] = events_for(store, "huge", "FailedScheduling")
    assert (event["type"], event["message"]) == ("Warning", expected)
    await asyncio.sleep(0.3)
    assert cluster.pids("default", "huge") == {}  # the kubelet never saw it


async def test_node_selector_mismatch_is_reported(store: Store, cluster: Cluster) -> None:
    manifest = pod("picky", image="sim/noop", port=None, readiness=None)
    manifest["spec"]["nodeSelector"] = {"disktype": "ssd"}
    store.create(PODS, manifest)
    await wait_for(lambda: scheduled(store, "picky") == "False", 5, "unschedulable")
    message = condition(store.get(PODS, "default", "picky"), "PodScheduled")["message"]
    assert message.startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")


async def test_pending_pod_is_scheduled_once_room_frees_up(store: Store, cluster: Cluster) -> None:
    store.create(PODS, with_requests("first", "5"))
    await wait_for(lambda: scheduled(store, "first") == "True", 5, "first bound")
    store.create(PODS, with_requests("second", "5"))
    await wait_for(lambda: scheduled(store, "second") == "False", 5, "second waits")
    assert "1 Insufficient cpu" in condition(store.get(PODS, "default", "second"), "PodScheduled")["message"]

    store.delete(PODS, "default", "first")

    await wait_for(lambda: scheduled(store, "second") == "True", 10, "second bound after first left")
    await wait_for(
        lambda: store.get(PODS, "default", "second")["status"].get("phase") == "Running", 10, "second running"
    )


async def test_deleting_an_unscheduled_pod_removes_it_at_once(store: Store, cluster: Cluster) -> None:
    store.create(PODS, with_requests("never", "100"))
    await wait_for(lambda: scheduled(store, "never") == "False", 5, "unschedulable")
    store.delete(PODS, "default", "never")
    await wait_for(lambda: store.get(PODS, "default", "never") is None, 5, "deleted")
