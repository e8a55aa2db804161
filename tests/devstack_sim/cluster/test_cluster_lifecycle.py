"""Cluster start/stop, restart policies, init containers, liveness, and the real demo apps."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import psutil
from cluster_helpers import (
    FAST,
    ClusterFactory,
    Timeline,
    child_processes,
    condition,
    container_status,
    deployment,
    events_for,
    pod,
    wait_for,
)

from devstack_sim.cluster import Cluster, ImageTable
from devstack_sim.cluster.node import node_object
from devstack_sim.resources import DEPLOYMENTS, NAMESPACES, NODES, PODS
from devstack_sim.runtime import LogRequest
from devstack_sim.store import Store


def phase(store: Store, name: str) -> str:
    return str((store.get(PODS, "default", name) or {}).get("status", {}).get("phase", ""))


def ready(store: Store, name: str) -> bool:
    return condition(store.get(PODS, "default", name), "Ready").get("status") == "True"


async def test_stop_kills_processes_that_ignore_sigterm(
    store: Store, images: ImageTable, make_cluster: ClusterFactory
) -> None:
    options = dataclasses.replace(FAST, termination_grace_cap_seconds=0.5)
    sim = await make_cluster(images, options)
    store.create(PODS, pod("stubborn", env={"TERM_DELAY": "60"}))
    store.create(PODS, pod("polite"))
    store.create(PODS, pod("ticker", image="test/ticker", port=None, readiness=None))
    await wait_for(lambda: all(ready(store, n) for n in ("stubborn", "polite", "ticker")), 10, "all ready")
    pids = [sim.pids("default", n)["app"] for n in ("stubborn", "polite", "ticker")]
    assert all(pid is not None and psutil.pid_exists(pid) for pid in pids)
    assert len(child_processes()) == 3

    loop = asyncio.get_running_loop()
    started = loop.time()
    await sim.stop()
    took = loop.time() - started

    assert child_processes() == []
    assert not any(psutil.pid_exists(pid) for pid in pids if pid is not None)
    assert 0.5 <= took < 3  # the stubborn one needed SIGKILL after the grace cap


async def test_existing_objects_are_reconciled_and_the_seeded_node_adopted(
    store: Store, images: ImageTable, make_cluster: ClusterFactory
) -> None:
    store.create(NODES, node_object("kind-control-plane"))
    store.create(DEPLOYMENTS, deployment("early", replicas=1, readiness=None))
    sim = await make_cluster(images)
    assert sim.node_name == "kind-control-plane"
    await wait_for(
        lambda: (
            (store.get(DEPLOYMENTS, "default", "early").get("status") or {}).get("availableReplicas") == 1
        ),
        10,
    )
    [running] = store.list(PODS, "default")
    assert running["spec"]["nodeName"] == "kind-control-plane"
    assert [n["metadata"]["name"] for n in store.list(NODES)] == ["kind-control-plane"]


async def test_restart_policy_never_ends_in_failed_or_succeeded(store: Store, cluster: Cluster) -> None:
    failing = pod("fails", image="test/crash", port=None, readiness=None)
    failing["spec"]["restartPolicy"] = "Never"
    done = pod("done", image="test/ok", port=None, readiness=None)
    done["spec"]["restartPolicy"] = "Never"
    store.create(PODS, failing)
    store.create(PODS, done)
    await wait_for(lambda: phase(store, "fails") == "Failed", 10, "Failed")
    await wait_for(lambda: phase(store, "done") == "Succeeded", 10, "Succeeded")
    failed = container_status(store, "default", "fails")
    assert failed["restartCount"] == 0
    assert (failed["state"]["terminated"]["exitCode"], failed["state"]["terminated"]["reason"]) == (
        3,
        "Error",
    )
    succeeded = container_status(store, "default", "done")["state"]["terminated"]
    assert (succeeded["exitCode"], succeeded["reason"]) == (0, "Completed")
    assert condition(store.get(PODS, "default", "done"), "Ready")["reason"] == "PodCompleted"
    logs = [c async for c in cluster.logs(LogRequest("default", "done"))]
    assert logs == [b"done\n"]


async def test_init_containers_run_first(store: Store, cluster: Cluster, timeline: Timeline) -> None:
    manifest = pod("staged")
    manifest["spec"]["initContainers"] = [{"name": "migrate", "image": "test/ok"}]
    store.create(PODS, manifest)
    await wait_for(lambda: ready(store, "staged"), 10, "ready after init")
    obj = store.get(PODS, "default", "staged")
    [init] = obj["status"]["initContainerStatuses"]
    assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"]
    assert condition(obj, "Initialized")["status"] == "True"
    states = timeline.of("staged")
    assert states.index("Pending/waiting:PodInitializing") < states.index("Running/running/ready")
    assert [c async for c in cluster.logs(LogRequest("default", "staged", container="migrate"))] == [
        b"done\n"
    ]


async def test_failing_liveness_probe_restarts_the_container(store: Store, cluster: Cluster) -> None:
    manifest = pod("sick", readiness=None, env={"NEVER_READY": "1"})
    manifest["spec"]["containers"][0]["livenessProbe"] = {
        "httpGet": {"path": "/ready", "port": 8000},
        "periodSeconds": 1,
        "failureThreshold": 2,
    }
    store.create(PODS, manifest)
    answered_503 = "Liveness probe failed: HTTP probe failed with statuscode: 503"

    def restarted_after_a_503() -> bool:
        # On a loaded machine the first probes may find the port not listening yet ("connection
        # refused"); once the program answers, its 503 fails the probe too.
        unhealthy = [e["message"] for e in events_for(store, "sick", "Unhealthy")]
        restarts = container_status(store, "default", "sick").get("restartCount", 0)
        return restarts >= 1 and answered_503 in unhealthy

    await wait_for(restarted_after_a_503, 30, "a restart after the probe got HTTP 503")
    killing = [e["message"] for e in events_for(store, "sick", "Killing")]
    assert "Container app failed liveness probe, will be restarted" in killing


async def test_demo_backend_from_the_default_table(store: Store, make_cluster: ClusterFactory) -> None:
    sim = await make_cluster(None)  # the shipped default image table
    backend = pod("backend", image="localhost:5001/jetscale-backend:dev", readiness="/healthz")
    crashing = pod(
        "broken",
        image="localhost:5001/jetscale-backend:dev",
        readiness=None,
        env={"DEMO_CRASH_ON_START": "1"},
    )
    store.create(PODS, backend)
    store.create(PODS, crashing)
    await wait_for(lambda: ready(store, "backend"), 15, "the demo backend ready")
    reader, writer = await sim.open_port("default", "backend", 8000)
    writer.write(b"GET /api/hello HTTP/1.0\r\nHost: x\r\n\r\n")
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert json.loads(response.partition(b"\r\n\r\n")[2]) == {
        "message": "hello from jetscale-backend",
        "pod": "backend",
    }

    def crash_looping() -> dict:
        cs = container_status(store, "default", "broken")
        return cs if (cs.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff" else {}

    cs = await wait_for(crash_looping, 15, "the broken backend in CrashLoopBackOff")
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    previous = [c async for c in sim.logs(LogRequest("default", "broken", previous=True))]
    assert previous == [b"FATAL: DATABASE_URL is not set\n"]


async def test_exec_and_tcp_probes_run_for_real(store: Store, cluster: Cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    flag = tmp_path / "ready-flag"
    manifest = pod("probed", readiness=None)
    manifest["spec"]["containers"][0]["readinessProbe"] = {"exec": {"command": ["test", "-f", str(flag)]}}
    manifest["spec"]["containers"][0]["livenessProbe"] = {
        "tcpSocket": {"port": "http"},
        "initialDelaySeconds": 1,  # the server needs a moment to listen
    }
    store.create(PODS, manifest)
    await wait_for(lambda: events_for(store, "probed", "Unhealthy"), 10, "a failed exec probe")
    await asyncio.sleep(0.3)
    assert not ready(store, "probed")
    flag.write_text("ok")
    await wait_for(lambda: ready(store, "probed"), 10, "ready once the file exists")
    assert container_status(store, "default", "probed")["restartCount"] == 0  # the TCP liveness probe passed


async def test_deleting_a_namespace_stops_its_processes(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("web", namespace="jetscale", readiness=None))
    await wait_for(lambda: cluster.pids("jetscale", "web").get("app"), 10, "a process")
    pid = cluster.pids("jetscale", "web")["app"]
    store.delete(NAMESPACES, "", "jetscale")
    await wait_for(lambda: not psutil.pid_exists(pid), 10, "the process to end")  # type: ignore[arg-type]
    assert store.get(PODS, "jetscale", "web") is None


async def test_an_explicit_node_name_is_registered_not_adopted(
    store: Store, images: ImageTable, make_cluster: ClusterFactory
) -> None:
    store.create(NODES, node_object("kind-control-plane"))
    sim = await make_cluster(images, dataclasses.replace(FAST, node_name="worker-1"))
    assert sim.node_name == "worker-1"
    assert sorted(n["metadata"]["name"] for n in store.list(NODES)) == ["kind-control-plane", "worker-1"]
