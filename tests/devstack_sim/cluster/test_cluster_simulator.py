"""End to end: the Simulator's API server with this Cluster as its pod runtime, over HTTPS."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
from cluster_helpers import FAST, child_processes, deployment

from devstack_sim import certs
from devstack_sim.app import Simulator
from devstack_sim.cluster import Cluster, ImageTable
from devstack_sim.store import Store


async def test_api_created_deployment_runs_and_serves_logs(tmp_path: Path, images: ImageTable) -> None:
    def runtime(store: Store) -> Cluster:
        return Cluster(store, images, FAST)

    sim = Simulator("e2e", tmp_path / "state", None, runtime_factory=runtime)
    await sim.start()
    try:
        assert sim.certs is not None
        connector = aiohttp.TCPConnector(ssl=certs.client_ssl_context(sim.certs, sim.pki_dir))
        async with aiohttp.ClientSession(connector=connector) as http:
            base = sim.server.url

            async def get(path: str) -> Any:
                async with http.get(base + path) as response:
                    assert response.status == 200, await response.text()
                    if response.content_type == "application/json":
                        return await response.json()
                    return await response.text()

            async with http.post(
                f"{base}/apis/apps/v1/namespaces/default/deployments", json=deployment("web", 1)
            ) as r:
                assert r.status == 201, await r.text()
            for _ in range(500):
                status = (await get("/apis/apps/v1/namespaces/default/deployments/web")).get("status") or {}
                if status.get("availableReplicas") == 1:
                    break
                await asyncio.sleep(0.02)
            assert status.get("availableReplicas") == 1
            [pod] = (await get("/api/v1/namespaces/default/pods"))["items"]
            assert pod["spec"]["nodeName"] == "e2e-control-plane"  # the node the Simulator seeded
            assert pod["spec"]["containers"][0]["imagePullPolicy"] == "Always"  # API defaults applied
            name = pod["metadata"]["name"]
            log = await get(f"/api/v1/namespaces/default/pods/{name}/log")
            assert log.startswith("listening on 127.0.0.1:")
            assert "GET /ready kube-probe/1.33" in log
            slices = await get(
                "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=web"
            )
            assert slices["items"] == []  # no Service yet
    finally:
        await sim.stop()
    assert child_processes() == []
