"""Services: cluster IPs and EndpointSlices that follow pod readiness and termination."""

from __future__ import annotations

import re

from cluster_helpers import condition, pod, wait_for

from devstack_sim.cluster import Cluster
from devstack_sim.resources import ENDPOINTSLICES, PODS, SERVICES
from devstack_sim.store import Store


def slices(store: Store, service: str, namespace: str = "default") -> list[dict]:
    return [
        s
        for s in store.list(ENDPOINTSLICES, namespace)
        if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == service
    ]


def endpoints(store: Store, service: str) -> dict[str, dict]:
    """Pod name → endpoint, over every slice of the service."""
    return {e["targetRef"]["name"]: e for s in slices(store, service) for e in s.get("endpoints") or []}


def ready(store: Store, name: str) -> bool:
    return condition(store.get(PODS, "default", name), "Ready").get("status") == "True"


async def test_endpoint_slice_tracks_ready_unready_and_terminating_pods(
    store: Store, cluster: Cluster
) -> None:
    store.create(
        SERVICES,
        {
            "metadata": {"name": "web", "namespace": "default", "labels": {"tier": "front"}},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        },
    )
    store.create(PODS, pod("web-a", labels={"app": "web"}, port=8080))
    store.create(PODS, pod("web-b", labels={"app": "web"}, port=8080, env={"NEVER_READY": "1"}))
    store.create(PODS, pod("web-c", labels={"app": "web"}, port=8080, env={"TERM_DELAY": "1.5"}))
    store.create(PODS, pod("other", labels={"app": "other"}, port=8080))

    await wait_for(lambda: ready(store, "web-a") and ready(store, "web-c"), 10, "a and c ready")

    def settled() -> dict[str, dict]:
        found = endpoints(store, "web")
        ok = set(found) == {"web-a", "web-b", "web-c"} and all(
            found[n]["conditions"]["ready"] for n in ("web-a", "web-c")
        )
        return found if ok else {}

    found = await wait_for(settled, 10, "three endpoints")
    [the_slice] = slices(store, "web")
    meta = the_slice["metadata"]
    assert re.match(r"^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", meta["name"])
    assert meta["labels"] == {
        "tier": "front",
        "kubernetes.io/service-name": "web",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
    }
    service = store.get(SERVICES, "default", "web")
    assert meta["ownerReferences"][0]["uid"] == service["metadata"]["uid"]
    assert meta["ownerReferences"][0]["kind"] == "Service"
    assert the_slice["addressType"] == "IPv4"
    # The named targetPort `http` resolves to the pods' containerPort 8080.
    assert the_slice["ports"] == [{"name": "http", "protocol": "TCP", "port": 8080}]
    a = store.get(PODS, "default", "web-a")
    assert found["web-a"] == {
        "addresses": [a["status"]["podIP"]],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "targetRef": {"kind": "Pod", "namespace": "default", "name": "web-a", "uid": a["metadata"]["uid"]},
        "nodeName": cluster.node_name,
    }
    assert found["web-b"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert re.match(r"^10\.96\.\d+\.\d+$", service["spec"]["clusterIP"])
    assert service["spec"]["clusterIPs"] == [service["spec"]["clusterIP"]]

    store.delete(PODS, "default", "web-c")  # it keeps serving 1.5 s after SIGTERM

    def terminating() -> dict:
        endpoint = endpoints(store, "web").get("web-c", {})
        return endpoint if endpoint.get("conditions", {}).get("terminating") else {}

    endpoint = await wait_for(terminating, 5, "web-c terminating")
    assert endpoint["conditions"] == {"ready": False, "serving": True, "terminating": True}
    await wait_for(lambda: set(endpoints(store, "web")) == {"web-a", "web-b"}, 10, "web-c removed")
    assert store.get(PODS, "default", "web-c") is None


async def test_slices_hold_at_most_100_endpoints_and_follow_deletions(store: Store, cluster: Cluster) -> None:
    store.create(
        SERVICES,
        {
            "metadata": {"name": "many", "namespace": "default"},
            "spec": {"selector": {"app": "many"}, "ports": [{"port": 80}]},
        },
    )
    for i in range(230):
        store.create(
            PODS, pod(f"many-{i:03d}", labels={"app": "many"}, image="sim/noop", port=None, readiness=None)
        )

    def all_ready() -> bool:
        found = endpoints(store, "many")
        return len(found) == 230 and all(e["conditions"]["ready"] for e in found.values())

    await wait_for(all_ready, 20, "230 ready endpoints")
    sizes = sorted(len(s["endpoints"]) for s in slices(store, "many"))
    assert sizes == [30, 100, 100]
    assert all(s["ports"] == [{"name": "", "protocol": "TCP", "port": 80}] for s in slices(store, "many"))

    for i in range(230):
        store.delete(PODS, "default", f"many-{i:03d}")
    await wait_for(lambda: not store.list(PODS, "default"), 20, "pods gone")
    await wait_for(lambda: len(slices(store, "many")) == 1, 10, "one placeholder slice")
    [placeholder] = slices(store, "many")
    assert placeholder["endpoints"] is None and placeholder["ports"] is None


async def test_service_without_selector_gets_no_slices(store: Store, cluster: Cluster) -> None:
    store.create(
        SERVICES, {"metadata": {"name": "ext", "namespace": "default"}, "spec": {"ports": [{"port": 5432}]}}
    )
    service = await wait_for(
        lambda: store.get(SERVICES, "default", "ext")["spec"].get("clusterIP"), 5, "cluster IP"
    )
    assert service.startswith("10.96.")
    store.create(PODS, pod("lonely", image="sim/noop", port=None, readiness=None))
    await wait_for(lambda: ready(store, "lonely"), 10, "pod ready")
    assert slices(store, "ext") == []
