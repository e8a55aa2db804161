"""Containers as real processes: ports, env, crash loops, faults, image pulls, config errors, logs."""

from __future__ import annotations

import asyncio
import base64
import re

import psutil
import pytest
from cluster_helpers import Timeline, condition, container_status, events_for, pod, wait_for

from devstack_sim.cluster import Cluster
from devstack_sim.errors import ApiError
from devstack_sim.resources import CONFIGMAPS, PODS, SECRETS
from devstack_sim.runtime import LogRequest
from devstack_sim.store import Store

TIMESTAMPED = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (.*)\n$")


def ready(store: Store, name: str, namespace: str = "default") -> bool:
    return condition(store.get(PODS, namespace, name), "Ready").get("status") == "True"


async def http_get(
    cluster: Cluster, name: str, path: str, port: int = 8000, namespace: str = "default"
) -> str:
    reader, writer = await cluster.open_port(namespace, name, port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head
    return body.decode()


async def lines(cluster: Cluster, request: LogRequest) -> list[bytes]:
    return [chunk async for chunk in cluster.logs(request)]


async def test_open_port_reaches_the_process_on_its_mapped_port(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("web"))
    await wait_for(lambda: ready(store, "web"), 10, "web ready")

    assert await http_get(cluster, "web", "/") == "hello from web"
    assert await http_get(cluster, "web", "/env/HOST") == "127.0.0.1"
    assert await http_get(cluster, "web", "/env/HOSTNAME") == "web"
    real = await http_get(cluster, "web", "/env/PORT")
    assert real.isdigit() and await http_get(cluster, "web", "/env/PORT_8000") == real
    with pytest.raises(ApiError, match="connection refused"):
        await cluster.open_port("default", "web", 9999)
    with pytest.raises(ApiError) as missing:
        await cluster.open_port("default", "nope", 8000)
    assert missing.value.code == 404


async def test_env_from_secrets_configmaps_and_fields(
    store: Store, cluster: Cluster, timeline: Timeline
) -> None:
    manifest = pod("backend", namespace="jetscale")
    manifest["spec"]["containers"][0]["env"] = [
        {
            "name": "API_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "jetscale-backend-secrets", "key": "API_TOKEN"}},
        },
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
        {"name": "MY_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "MY_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "URL", "value": "http://$(MY_IP):8000/$(MODE)"},
    ]
    manifest["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "settings"}, "prefix": "CM_"}]
    store.create(PODS, manifest)

    def waiting_message() -> str:
        state = container_status(store, "jetscale", "backend").get("state", {})
        return (
            (state.get("waiting") or {}).get("message", "")
            if state.get("waiting", {}).get("reason") == "CreateContainerConfigError"
            else ""
        )

    # envFrom is resolved first: the missing ConfigMap is reported before the Secret.
    assert await wait_for(waiting_message, 10) == 'configmap "settings" not found'
    store.create(
        CONFIGMAPS, {"metadata": {"name": "settings", "namespace": "jetscale"}, "data": {"mode": "demo"}}
    )
    await wait_for(
        lambda: waiting_message() == 'secret "jetscale-backend-secrets" not found', 10, "secret message"
    )
    assert any(
        e["message"] == 'Error: secret "jetscale-backend-secrets" not found' and e["type"] == "Warning"
        for e in events_for(store, "backend", "Failed")
    )
    assert store.get(PODS, "jetscale", "backend")["status"]["phase"] == "Pending"

    secret = {"metadata": {"name": "jetscale-backend-secrets", "namespace": "jetscale"}, "data": {}}
    store.create(SECRETS, secret)
    await wait_for(
        lambda: (
            waiting_message() == "couldn't find key API_TOKEN in Secret jetscale/jetscale-backend-secrets"
        ),
        10,
        "missing key message",
    )

    def add_key(obj: dict) -> None:
        obj["data"] = {"API_TOKEN": base64.b64encode(b"s3cret").decode()}

    store.mutate(SECRETS, "jetscale", "jetscale-backend-secrets", add_key)
    await wait_for(lambda: ready(store, "backend", "jetscale"), 10, "backend ready after the secret appeared")

    ip = store.get(PODS, "jetscale", "backend")["status"]["podIP"]
    assert await http_get(cluster, "backend", "/env/API_TOKEN", namespace="jetscale") == "s3cret"
    assert await http_get(cluster, "backend", "/env/MODE", namespace="jetscale") == "demo"
    assert await http_get(cluster, "backend", "/env/CM_mode", namespace="jetscale") == "demo"
    assert await http_get(cluster, "backend", "/env/MY_IP", namespace="jetscale") == ip
    assert await http_get(cluster, "backend", "/env/MY_NS", namespace="jetscale") == "jetscale"
    assert await http_get(cluster, "backend", "/env/URL", namespace="jetscale") == f"http://{ip}:8000/demo"
    assert "Pending/waiting:CreateContainerConfigError" in timeline.of("backend")


async def test_crashing_container_enters_crash_loop_back_off(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("crasher", image="test/crash", port=None, readiness=None))

    def looping() -> dict:
        cs = container_status(store, "default", "crasher")
        waiting = cs.get("state", {}).get("waiting") or {}
        return cs if waiting.get("reason") == "CrashLoopBackOff" and cs["restartCount"] >= 2 else {}

    cs = await wait_for(looping, 15, "CrashLoopBackOff with 2 restarts")
    uid = store.get(PODS, "default", "crasher")["metadata"]["uid"]
    terminated = cs["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (3, "Error")
    assert terminated["containerID"].startswith("containerd://")
    assert re.match(
        rf"^back-off \d+(\.\d+)?m?s restarting failed container=app pod=crasher_default\({uid}\)$",
        cs["state"]["waiting"]["message"],
    )
    assert not cs["ready"]
    obj = store.get(PODS, "default", "crasher")
    assert obj["status"]["phase"] == "Running"
    assert condition(obj, "Ready")["reason"] == "ContainersNotReady"

    previous = await lines(cluster, LogRequest("default", "crasher", previous=True))
    assert previous[-1] == b"fatal: cannot reach the database, exit 3\n"

    def backoff_event() -> dict:
        events = events_for(store, "crasher", "BackOff")
        return events[0] if events and events[0]["count"] >= 2 else {}

    event = await wait_for(backoff_event, 15, "a BackOff event seen twice")
    assert event["message"] == f"Back-off restarting failed container app in pod crasher_default({uid})"
    assert event["type"] == "Warning"
    assert event["involvedObject"]["fieldPath"] == "spec.containers{app}"
    assert event["source"]["component"] == "kubelet"


async def test_inject_oom_reports_oomkilled_137_and_restarts(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("web", readiness=None))
    await wait_for(lambda: ready(store, "web"), 10, "web ready")
    first_id = container_status(store, "default", "web")["containerID"]

    pid = cluster.inject_oom("default", "web")

    def restarted() -> dict:
        cs = container_status(store, "default", "web")
        return cs if cs.get("restartCount") == 1 and "running" in cs.get("state", {}) else {}

    cs = await wait_for(restarted, 10, "the container to restart")
    terminated = cs["lastState"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert terminated["containerID"] == first_id != cs["containerID"]
    assert pid is not None and not psutil.pid_exists(pid)


async def test_kill_process_is_observed_as_a_real_exit(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("web", readiness=None))
    await wait_for(lambda: ready(store, "web"), 10, "web ready")

    cluster.kill_process("default", "web")  # SIGKILL
    await wait_for(
        lambda: container_status(store, "default", "web").get("restartCount") == 1, 10, "1st restart"
    )
    killed = container_status(store, "default", "web")["lastState"]["terminated"]
    assert (killed["exitCode"], killed["reason"]) == (137, "Error")

    await wait_for(
        lambda: "running" in container_status(store, "default", "web").get("state", {}), 10, "running"
    )
    for _ in range(200):  # the SIGTERM handler is installed once it says it listens
        if any(b"listening" in line for line in await lines(cluster, LogRequest("default", "web"))):
            break
        await asyncio.sleep(0.02)
    cluster.kill_process("default", "web", exit_code=143)  # SIGTERM: the server shuts down cleanly
    await wait_for(
        lambda: container_status(store, "default", "web").get("restartCount") == 2, 10, "2nd restart"
    )
    stopped = container_status(store, "default", "web")["lastState"]["terminated"]
    assert (stopped["exitCode"], stopped["reason"]) == (0, "Completed")
    previous = await lines(cluster, LogRequest("default", "web", previous=True))
    assert previous[-2:] == [b"got SIGTERM\n", b"bye\n"]


async def test_unknown_image_alternates_err_image_pull_and_back_off(
    store: Store, cluster: Cluster, timeline: Timeline
) -> None:
    store.create(PODS, pod("ghost", image="localhost:5001/nope:v1", readiness=None))

    def alternated() -> bool:
        states = timeline.of("ghost")
        pulls = [s for s in states if "ErrImagePull" in s or "ImagePullBackOff" in s]
        return len(pulls) >= 3

    await wait_for(alternated, 10, "ErrImagePull → ImagePullBackOff → ErrImagePull")
    states = [s for s in timeline.of("ghost") if "Image" in s]
    assert states[:3] == [
        "Pending/waiting:ErrImagePull",
        "Pending/waiting:ImagePullBackOff",
        "Pending/waiting:ErrImagePull",
    ]
    waiting = container_status(store, "default", "ghost")["state"]["waiting"]
    assert "not found" in waiting["message"]
    failed = [e["message"] for e in events_for(store, "ghost", "Failed")]
    assert (
        'Failed to pull image "localhost:5001/nope:v1": rpc error: code = NotFound desc = failed to pull and '
        'unpack image "localhost:5001/nope:v1": failed to resolve reference "localhost:5001/nope:v1": '
        "localhost:5001/nope:v1: not found"
    ) in failed
    assert "Error: ErrImagePull" in failed and "Error: ImagePullBackOff" in failed
    backoff = events_for(store, "ghost", "BackOff")
    assert [e["message"] for e in backoff] == ['Back-off pulling image "localhost:5001/nope:v1"']
    with pytest.raises(
        ApiError, match=r"is waiting to start: (image can't be pulled|trying and failing to pull image)"
    ) as err:
        cluster.logs(LogRequest("default", "ghost"))
    assert err.value.code == 400


async def test_logs_follow_yields_lines_as_they_are_printed(store: Store, cluster: Cluster) -> None:
    store.create(PODS, pod("ticker", image="test/ticker", port=None, readiness=None))
    await wait_for(lambda: ready(store, "ticker"), 10, "ticker running")

    stream = cluster.logs(LogRequest("default", "ticker", follow=True, tail_lines=1, timestamps=True))
    received: list[bytes] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    async for chunk in stream:
        received.append(chunk)
        if len(received) == 6:
            break
    elapsed = loop.time() - started
    numbers = [int(TIMESTAMPED.match(c).group(1).split()[1]) for c in received]  # type: ignore[union-attr]
    assert numbers == list(range(numbers[0], numbers[0] + 6))
    assert elapsed >= 0.3  # five of the six lines were printed after we started following

    follower = cluster.logs(LogRequest("default", "ticker", follow=True, tail_lines=0))

    async def drain() -> int:
        return len([c async for c in follower])

    task = asyncio.create_task(drain())
    await asyncio.sleep(0.3)
    assert not task.done()
    store.delete(PODS, "default", "ticker")
    assert await asyncio.wait_for(task, 10) >= 1  # the stream ends once the pod is gone


async def test_log_requests_fail_like_the_real_server(store: Store, cluster: Cluster) -> None:
    two = pod("two", readiness=None)
    two["spec"]["containers"].append({"name": "side", "image": "sim/noop"})
    store.create(PODS, two)
    await wait_for(lambda: ready(store, "two"), 10, "two ready")
    with pytest.raises(
        ApiError, match=r"a container name must be specified for pod two, choose one of: \[app side\]"
    ):
        cluster.logs(LogRequest("default", "two"))
    with pytest.raises(ApiError, match="container other is not valid for pod two"):
        cluster.logs(LogRequest("default", "two", container="other"))
    with pytest.raises(ApiError, match='previous terminated container "app" in pod "two" not found'):
        cluster.logs(LogRequest("default", "two", container="app", previous=True))
    with pytest.raises(ApiError) as missing:
        cluster.logs(LogRequest("default", "none"))
    assert missing.value.code == 404
    for _ in range(200):
        full = await lines(cluster, LogRequest("default", "two", container="app"))
        if full:
            break
        await asyncio.sleep(0.02)
    assert len(full) == 1 and full[0].startswith(b"listening on 127.0.0.1:")
    await http_get(cluster, "two", "/one")
    await http_get(cluster, "two", "/two")
    tail = await lines(cluster, LogRequest("default", "two", container="app", tail_lines=2))
    assert tail == [b"GET /one None\n", b"GET /two None\n"]
    assert await lines(cluster, LogRequest("default", "two", container="side")) == []
