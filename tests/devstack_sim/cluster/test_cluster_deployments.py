"""Deployments → ReplicaSets → pods running real processes, rolling updates, deadlines, replacement."""

from __future__ import annotations

import re

import psutil
from cluster_helpers import Timeline, condition, deployment, events_for, wait_for

from devstack_sim.cluster import Cluster
from devstack_sim.resources import DEPLOYMENTS, PODS, REPLICASETS
from devstack_sim.runtime import LogRequest
from devstack_sim.store import Change, Store

HASH = re.compile(r"^[456789bcdf]{1,10}$")  # decimal digits through SafeEncodeString


def owned(store: Store, kind_list, owner: dict) -> list[dict]:  # type: ignore[no-untyped-def]
    uid = owner["metadata"]["uid"]
    return [
        o
        for o in store.list(kind_list, owner["metadata"]["namespace"])
        if any(
            r.get("uid") == uid and r.get("controller") for r in o["metadata"].get("ownerReferences") or []
        )
    ]


def status(store: Store, name: str, namespace: str = "default") -> dict:
    return (store.get(DEPLOYMENTS, namespace, name) or {}).get("status") or {}


async def read_log(cluster: Cluster, request: LogRequest) -> str:
    return b"".join([chunk async for chunk in cluster.logs(request)]).decode()


async def test_deployment_gets_hashed_replicaset_and_two_ready_pods(
    store: Store, cluster: Cluster, timeline: Timeline
) -> None:
    store.create(DEPLOYMENTS, deployment("web", replicas=2, env={"READY_AFTER": "0.6"}))

    await wait_for(lambda: status(store, "web").get("availableReplicas") == 2, 15, "2 available replicas")

    deploy = store.get(DEPLOYMENTS, "default", "web")
    [rs] = owned(store, REPLICASETS, deploy)
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert HASH.match(pod_hash)
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"

    pods = owned(store, PODS, rs)
    assert len(pods) == 2
    ips = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        assert re.match(rf"^web-{pod_hash}-[bcdfghjklmnpqrstvwxz2456789]{{5}}$", name)
        assert pod["status"]["phase"] == "Running"
        assert condition(pod, "Ready")["status"] == "True"
        assert condition(pod, "PodScheduled")["status"] == "True"
        [cs] = pod["status"]["containerStatuses"]
        assert cs["ready"] and cs["started"] and "running" in cs["state"]
        assert cs["containerID"].startswith("containerd://")
        assert pod["status"]["podIP"].startswith("10.244.")
        ips.add(pod["status"]["podIP"])
        # Pending/ContainerCreating first, then running-but-not-ready while /ready answers 503, then ready.
        states = timeline.of(name)
        assert states[0].startswith("Pending")
        assert "Pending/waiting:ContainerCreating" in states
        assert states.index("Running/running") < states.index("Running/running/ready")
        assert states[-1] == "Running/running/ready"
        # The readiness probe really went over HTTP to the process.
        log = await read_log(cluster, LogRequest("default", name))
        assert "GET /ready kube-probe/1.33" in log
        unhealthy = [e["message"] for e in events_for(store, name, "Unhealthy")]
        assert any("Readiness probe failed:" in m for m in unhealthy)
        for reason in ("Scheduled", "Pulling", "Pulled", "Created", "Started"):
            assert events_for(store, name, reason), reason
    assert len(ips) == 2

    st = status(store, "web")
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (
        2,
        2,
        2,
        2,
    )
    assert st["observedGeneration"] == deploy["metadata"]["generation"]
    available = condition(deploy, "Available")
    assert (available["status"], available["reason"]) == ("True", "MinimumReplicasAvailable")
    progressing = condition(deploy, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "NewReplicaSetAvailable")
    scaling = [e["message"] for e in events_for(store, "web", "ScalingReplicaSet")]
    assert f"Scaled up replica set web-{pod_hash} from 0 to 2" in scaling


async def test_template_change_rolls_out_within_surge_and_unavailability(
    store: Store, cluster: Cluster
) -> None:
    store.create(DEPLOYMENTS, deployment("api", replicas=2))
    await wait_for(lambda: status(store, "api").get("availableReplicas") == 2, 15, "first rollout")
    [old_rs] = owned(store, REPLICASETS, store.get(DEPLOYMENTS, "default", "api"))

    # From now on, track how many pods exist and how many are ready at every store change.
    most_pods, fewest_ready = [0], [2]

    def track(change: Change) -> None:
        if change.rtype.key != PODS.key:
            return
        pods = [p for p in store.list(PODS, "default") if not p["metadata"].get("deletionTimestamp")]
        most_pods[0] = max(most_pods[0], len(pods))
        fewest_ready[0] = min(
            fewest_ready[0], sum(condition(p, "Ready").get("status") == "True" for p in pods)
        )

    store.subscribe(track)

    def change_template(obj: dict) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "GREETING", "value": "v2"}]

    store.mutate(DEPLOYMENTS, "default", "api", change_template)

    def rolled_out() -> bool:
        deploy = store.get(DEPLOYMENTS, "default", "api")
        st = deploy["status"]
        old = store.get(REPLICASETS, "default", old_rs["metadata"]["name"])
        return (
            st.get("observedGeneration") == 2
            and st.get("updatedReplicas") == 2
            and st.get("availableReplicas") == 2
            and st.get("replicas") == 2
            and old["spec"]["replicas"] == 0
            and condition(deploy, "Progressing").get("reason") == "NewReplicaSetAvailable"
        )

    await wait_for(rolled_out, 20, "the rolling update")
    deploy = store.get(DEPLOYMENTS, "default", "api")
    new_rs = next(
        r for r in owned(store, REPLICASETS, deploy) if r["metadata"]["uid"] != old_rs["metadata"]["uid"]
    )
    assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert deploy["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    await wait_for(lambda: not owned(store, PODS, old_rs), 10, "old pods gone")
    new_pods = owned(store, PODS, new_rs)
    assert len(new_pods) == 2
    for pod in new_pods:
        assert pod["spec"]["containers"][0]["env"] == [{"name": "GREETING", "value": "v2"}]
    # maxSurge 25% of 2 → 1 extra pod at most; maxUnavailable 25% of 2 → 0: never fewer than 2 ready.
    assert most_pods[0] <= 3
    assert fewest_ready[0] == 2
    messages = [e["message"] for e in events_for(store, "api", "ScalingReplicaSet")]
    assert any(
        m.startswith(f"Scaled down replica set {old_rs['metadata']['name']}") and m.endswith("to 0")
        for m in messages
    )


async def test_rollout_restart_annotation_creates_a_new_replicaset(store: Store, cluster: Cluster) -> None:
    store.create(DEPLOYMENTS, deployment("front", replicas=1, readiness=None))
    await wait_for(lambda: status(store, "front").get("availableReplicas") == 1, 15, "first rollout")
    [first] = owned(store, REPLICASETS, store.get(DEPLOYMENTS, "default", "front"))
    [first_pod] = owned(store, PODS, first)

    def restart(obj: dict) -> None:
        meta = obj["spec"]["template"].setdefault("metadata", {})
        meta.setdefault("annotations", {})["kubectl.kubernetes.io/restartedAt"] = "2026-01-01T00:00:00Z"

    store.mutate(DEPLOYMENTS, "default", "front", restart)

    def restarted() -> bool:
        rses = owned(store, REPLICASETS, store.get(DEPLOYMENTS, "default", "front"))
        live = [p for r in rses for p in owned(store, PODS, r)]
        return (
            len(rses) == 2
            and status(store, "front").get("updatedReplicas") == 1
            and status(store, "front").get("availableReplicas") == 1
            and [p["metadata"]["name"] for p in live] != [first_pod["metadata"]["name"]]
            and len(live) == 1
        )

    await wait_for(restarted, 15, "the restarted pod")
    assert store.get(REPLICASETS, "default", first["metadata"]["name"])["spec"]["replicas"] == 0


async def test_progress_deadline_exceeded_when_pods_never_get_ready(store: Store, cluster: Cluster) -> None:
    manifest = deployment("stuck", replicas=1, env={"NEVER_READY": "1"})
    manifest["spec"]["progressDeadlineSeconds"] = 2
    store.create(DEPLOYMENTS, manifest)

    def timed_out() -> dict:
        cond = condition(store.get(DEPLOYMENTS, "default", "stuck"), "Progressing")
        return cond if cond.get("reason") == "ProgressDeadlineExceeded" else {}

    cond = await wait_for(timed_out, 10, "ProgressDeadlineExceeded")
    assert cond["status"] == "False"
    assert re.match(r'^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$', cond["message"])
    deploy = store.get(DEPLOYMENTS, "default", "stuck")
    assert condition(deploy, "Available")["reason"] == "MinimumReplicasUnavailable"
    assert deploy["status"]["unavailableReplicas"] == 1


async def test_deleted_pod_process_ends_and_replacement_becomes_ready(store: Store, cluster: Cluster) -> None:
    store.create(DEPLOYMENTS, deployment("svc", replicas=1))
    await wait_for(lambda: status(store, "svc").get("availableReplicas") == 1, 15, "first pod")
    [victim] = store.list(PODS, "default")
    name = victim["metadata"]["name"]
    pid = cluster.pids("default", name)["app"]
    assert pid is not None and psutil.pid_exists(pid)

    store.delete(PODS, "default", name)

    await wait_for(lambda: store.get(PODS, "default", name) is None, 10, "the pod to be removed")
    assert not psutil.pid_exists(pid)
    assert [e["message"] for e in events_for(store, name, "Killing")] == ["Stopping container app"]

    def replacement() -> dict | None:
        pods = [p for p in store.list(PODS, "default") if p["metadata"]["name"] != name]
        ready = [p for p in pods if condition(p, "Ready").get("status") == "True"]
        return ready[0] if ready else None

    new = await wait_for(replacement, 15, "a ready replacement")
    assert new["metadata"]["ownerReferences"][0]["name"] == victim["metadata"]["ownerReferences"][0]["name"]
    new_pid = cluster.pids("default", new["metadata"]["name"])["app"]
    assert new_pid is not None and new_pid != pid and psutil.pid_exists(new_pid)


async def test_recreate_strategy_stops_old_pods_before_starting_new_ones(
    store: Store, cluster: Cluster
) -> None:
    manifest = deployment("batch", replicas=2, readiness=None, env={"TERM_DELAY": "0.5"})
    manifest["spec"]["strategy"] = {"type": "Recreate"}
    store.create(DEPLOYMENTS, manifest)
    await wait_for(lambda: status(store, "batch").get("availableReplicas") == 2, 15, "first rollout")
    [old_rs] = owned(store, REPLICASETS, store.get(DEPLOYMENTS, "default", "batch"))
    overlap = [False]

    def track(change: Change) -> None:
        if change.rtype.key != PODS.key:
            return
        owners = {p["metadata"]["ownerReferences"][0]["uid"] for p in store.list(PODS, "default")}
        if old_rs["metadata"]["uid"] in owners and len(owners) > 1:
            overlap[0] = True

    store.subscribe(track)

    def change_template(obj: dict) -> None:
        obj["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "V", "value": "2"})

    store.mutate(DEPLOYMENTS, "default", "batch", change_template)

    def done() -> bool:
        st = status(store, "batch")
        return (
            st.get("observedGeneration") == 2
            and st.get("updatedReplicas") == 2
            and st.get("availableReplicas") == 2
        )

    await wait_for(done, 20, "the Recreate rollout")
    assert not overlap[0]  # no new pod existed while an old one was still there
