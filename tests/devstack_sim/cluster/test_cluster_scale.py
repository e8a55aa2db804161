"""Scale: 5,000 processless pods behind one Service, then pod churn at 200 deletions a second."""

from __future__ import annotations

import asyncio
import time

import pytest
from cluster_helpers import wait_for

from devstack_sim.cluster import Cluster
from devstack_sim.resources import DEPLOYMENTS, ENDPOINTSLICES, PODS, SERVICES
from devstack_sim.store import Store

PODS_WANTED = 5000


def available(store: Store) -> int:
    return int((store.get(DEPLOYMENTS, "default", "noop").get("status") or {}).get("availableReplicas") or 0)


def ready_endpoints(store: Store) -> int:
    return sum(
        1
        for s in store.iter_all(ENDPOINTSLICES)
        for e in s.get("endpoints") or []
        if e["conditions"]["ready"]
    )


@pytest.mark.slow
async def test_five_thousand_noop_pods_and_churn(store: Store, cluster: Cluster) -> None:
    store.create(
        SERVICES,
        {
            "metadata": {"name": "noop", "namespace": "default"},
            "spec": {"selector": {"app": "noop"}, "ports": [{"port": 80}]},
        },
    )
    manifest = {
        "metadata": {"name": "noop", "namespace": "default"},
        "spec": {
            "replicas": PODS_WANTED,
            "selector": {"matchLabels": {"app": "noop"}},
            "template": {
                "metadata": {"labels": {"app": "noop"}},
                "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
            },
        },
    }
    started, cpu = time.monotonic(), time.process_time()
    store.create(DEPLOYMENTS, manifest)
    await wait_for(lambda: available(store) == PODS_WANTED, 120, "5000 available pods")
    await wait_for(lambda: ready_endpoints(store) == PODS_WANTED, 30, "5000 ready endpoints")
    up, up_cpu = time.monotonic() - started, time.process_time() - cpu
    slices = [
        s
        for s in store.iter_all(ENDPOINTSLICES)
        if s["metadata"]["labels"]["kubernetes.io/service-name"] == "noop"
    ]
    assert len(slices) == PODS_WANTED // 100
    assert all(p["status"]["phase"] == "Running" for p in store.iter_all(PODS))

    victims = [p["metadata"]["name"] for p in store.iter_all(PODS)][:400]
    started, cpu = time.monotonic(), time.process_time()
    for i in range(0, len(victims), 20):  # 200 deletions a second for two seconds
        for name in victims[i : i + 20]:
            store.delete(PODS, "default", name)
        await asyncio.sleep(0.1)

    def recovered() -> bool:
        names = {p["metadata"]["name"] for p in store.iter_all(PODS)}
        return len(names) == PODS_WANTED and not names & set(victims) and available(store) == PODS_WANTED

    await wait_for(recovered, 60, "the churn to be absorbed")
    churn, churn_cpu = time.monotonic() - started, time.process_time() - cpu
    print(
        f"\n5000 pods available in {up:.1f}s ({up_cpu:.1f}s CPU); "
        f"400 deletions at 200/s absorbed in {churn:.1f}s ({churn_cpu:.1f}s CPU)"
    )
