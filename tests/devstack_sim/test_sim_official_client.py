"""The official `kubernetes` Python client against the simulator (TLS, client certs, watches, 410)."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from sim_helpers import new_client

from devstack_sim import certs, kubeconfig
from devstack_sim.app import Simulator
from devstack_sim.resources import CONFIGMAPS


async def test_lists_through_tls_with_the_kubeconfig_entry(sim: Simulator) -> None:
    core = client.CoreV1Api(new_client(sim))
    namespaces = await asyncio.to_thread(core.list_namespace)
    assert sorted(n.metadata.name for n in namespaces.items) == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    nodes = await asyncio.to_thread(core.list_node)
    node = nodes.items[0]
    assert node.metadata.name == "x-control-plane"
    assert {c.type: c.status for c in node.status.conditions}["Ready"] == "True"
    services = await asyncio.to_thread(core.list_namespaced_service, "default")
    assert (
        services.items[0].metadata.name == "kubernetes" and services.items[0].spec.cluster_ip == "10.96.0.1"
    )
    accounts = await asyncio.to_thread(core.list_service_account_for_all_namespaces)
    assert len([a for a in accounts.items if a.metadata.name == "default"]) == 4
    apps = client.AppsV1Api(new_client(sim))
    created = await asyncio.to_thread(
        apps.create_namespaced_deployment,
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "i"}]},
                },
            },
        },
    )
    assert created.metadata.uid and created.spec.replicas == 1


async def test_watch_stream_sees_changes(sim: Simulator) -> None:
    core = client.CoreV1Api(new_client(sim))
    listed = await asyncio.to_thread(core.list_namespaced_config_map, "default")
    rv = listed.metadata.resource_version

    def collect() -> list[tuple[str, str]]:
        seen = []
        for event in watch.Watch().stream(
            core.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=2
        ):
            seen.append((event["type"], event["object"].metadata.name))
        return seen

    task = asyncio.create_task(asyncio.to_thread(collect))
    await asyncio.sleep(0.5)
    sim.store.create(CONFIGMAPS, {"metadata": {"name": "watched", "namespace": "default"}})
    sim.store.delete(CONFIGMAPS, "default", "watched")
    assert await task == [("ADDED", "watched"), ("DELETED", "watched")]


async def test_expired_watch_surfaces_410(sim: Simulator) -> None:
    core = client.CoreV1Api(new_client(sim))
    old = sim.store.resource_version
    sim.store.create(CONFIGMAPS, {"metadata": {"name": "newer", "namespace": "default"}})
    sim.faults.expire_history()

    def stream_from_old() -> list[Any]:
        return list(
            watch.Watch().stream(
                core.list_namespaced_config_map, "default", resource_version=str(old), timeout_seconds=5
            )
        )

    with pytest.raises(ApiException) as failure:
        await asyncio.to_thread(stream_from_old)
    assert failure.value.status == 410
    assert "Expired" in str(failure.value.reason)


def _write_config(path: Path, sim: Simulator, user: dict[str, str]) -> None:
    assert sim.certs is not None
    entry = kubeconfig.build("x", sim.port, sim.certs)
    entry["users"][0]["user"] = user
    path.write_text(yaml.safe_dump(entry))


async def test_client_certificate_from_another_ca_is_refused(sim: Simulator, tmp_path: Path) -> None:
    stale = certs.generate("x")
    path = tmp_path / "stale-config"
    _write_config(
        path,
        sim,
        {
            "client-certificate-data": base64.b64encode(stale.client_cert).decode(),
            "client-key-data": base64.b64encode(stale.client_key).decode(),
        },
    )
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(path), context="kind-x"))
    api.api_client.configuration.retries = 0
    with pytest.raises((urllib3.exceptions.HTTPError, ApiException, OSError)) as failure:
        await asyncio.to_thread(api.list_namespace, _request_timeout=5)
    if isinstance(failure.value, ApiException):
        assert failure.value.status == 401


async def test_no_client_certificate_gets_401(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "anonymous-config"
    _write_config(path, sim, {})
    api = client.CoreV1Api(config.new_client_from_config(config_file=str(path), context="kind-x"))
    with pytest.raises(ApiException) as failure:
        await asyncio.to_thread(api.list_namespace)
    assert failure.value.status == 401
    assert '"reason":"Unauthorized"' in failure.value.body
