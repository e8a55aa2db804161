"""The Deployment controller: ReplicaSet per template, rolling updates, status and conditions."""

from __future__ import annotations

import copy

from devstack_sim.errors import ApiError
from devstack_sim.resources import DEPLOYMENTS, REPLICASETS
from devstack_sim.store import Change, Obj, Store

from . import rollout as ro
from .deploystatus import compute_status
from .events import DEPLOYMENT_CONTROLLER, NORMAL, EventRecorder
from .index import ObjectIndex
from .meta import controller_ref, owner_reference, parse_time, spec_changed
from .workqueue import WorkQueue

_Key = tuple[str, str]


def _created(rs: Obj) -> tuple[float, str]:
    return (parse_time(rs["metadata"].get("creationTimestamp")) or 0.0, rs["metadata"]["name"])


class DeploymentController:
    """Reconciles Deployments through the ReplicaSets they own."""

    def __init__(self, store: Store, recorder: EventRecorder, replicasets: ObjectIndex, pods: ObjectIndex):
        self._store = store
        self._events = recorder
        self._replicasets = replicasets
        self._pods = pods
        self.queue: WorkQueue[_Key] = WorkQueue("deployment", self._sync, delay=0.01)

    def on_deployment(self, change: Change) -> None:
        """Queue a deployment whose spec or metadata changed (not for our own status writes)."""
        if change.type == "DELETED":
            return
        if spec_changed(change):
            meta = change.obj["metadata"]
            self.queue.add((meta["namespace"], meta["name"]))

    def on_replicaset(self, change: Change) -> None:
        """Queue the deployment that controls a changed ReplicaSet."""
        for obj in (change.obj, change.old):
            ref = controller_ref(obj) if obj is not None else None
            if obj is not None and ref and ref.get("kind") == "Deployment":
                self.queue.add((obj["metadata"]["namespace"], str(ref["name"])))
                return

    def on_pod(self, change: Change) -> None:
        """A pod is gone: its deployment may be waiting for that (Recreate waits for old pods)."""
        if change.type != "DELETED":
            return
        ref = controller_ref(change.obj)
        if not ref or ref.get("kind") != "ReplicaSet":
            return
        namespace = change.obj["metadata"]["namespace"]
        rs = self._store.get(REPLICASETS, namespace, str(ref.get("name")))
        owner = controller_ref(rs) if rs is not None else None
        if owner and owner.get("kind") == "Deployment":
            self.queue.add((namespace, str(owner["name"])))

    # -------------------------------------------------------------------- sync
    def _sync(self, key: _Key) -> None:
        deploy = self._store.get(DEPLOYMENTS, *key)
        if deploy is None or deploy["metadata"].get("deletionTimestamp"):
            return
        owned = self._replicasets.owned_by(deploy["metadata"]["uid"])
        template = deploy["spec"].get("template") or {}
        new = next((rs for rs in owned if ro.same_template(rs["spec"].get("template") or {}, template)), None)
        olds = sorted((rs for rs in owned if rs is not new), key=_created)
        created = False
        if not deploy["spec"].get("paused"):
            if new is None:
                new = self._create_new(deploy, olds)
                if new is None:
                    return  # hash collision: collisionCount was bumped, the change requeues us
                created = True
            else:
                new = self._bump_revision(new, olds)
            if (deploy["spec"].get("strategy") or {}).get("type") == "Recreate":
                self._recreate(deploy, new, olds)
            else:
                self._rolling(deploy, new, olds)
            self._cleanup(deploy, olds)
            self._annotate(deploy, new)
        current = [rs for rs in (self._current(r) for r in [new, *olds] if r is not None) if rs is not None]
        new_now = self._current(new) if new is not None else None
        deploy = self._store.get(DEPLOYMENTS, *key) or deploy
        status, recheck = compute_status(deploy, new_now, current, created)
        if recheck is not None:
            self.queue.add_after(key, recheck)
        if status != deploy.get("status"):

            def apply(obj: Obj) -> None:
                obj["status"] = status

            self._store.mutate(DEPLOYMENTS, key[0], key[1], apply)

    def _current(self, rs: Obj | None) -> Obj | None:
        if rs is None:
            return None
        return self._store.get(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    # ------------------------------------------------------------ replica sets
    def _create_new(self, deploy: Obj, olds: list[Obj]) -> Obj | None:
        meta = deploy["metadata"]
        status = deploy.get("status") or {}
        collisions = status.get("collisionCount")
        template = copy.deepcopy(deploy["spec"].get("template") or {})
        pod_hash = ro.pod_template_hash(template, collisions)
        name = f"{meta['name']}-{pod_hash}"
        if self._store.get(REPLICASETS, meta["namespace"], name) is not None:
            count = int(collisions or 0) + 1

            def bump(obj: Obj) -> None:
                obj.setdefault("status", {})["collisionCount"] = count

            self._store.mutate(DEPLOYMENTS, meta["namespace"], meta["name"], bump)
            self.queue.add((meta["namespace"], meta["name"]))
            return None
        template.setdefault("metadata", {}).setdefault("labels", {})[ro.HASH_LABEL] = pod_hash
        selector = copy.deepcopy(deploy["spec"].get("selector") or {})
        selector.setdefault("matchLabels", {})[ro.HASH_LABEL] = pod_hash
        desired = ro.desired_replicas(deploy)
        surge, _ = ro.surge_and_unavailable(deploy)
        replicas = self._initial_replicas(deploy, olds, desired, surge)
        rs: Obj = {
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {
                    ro.REVISION: str(max([ro.revision(r) for r in olds], default=0) + 1),
                    ro.DESIRED_REPLICAS: str(desired),
                    ro.MAX_REPLICAS: str(desired + surge),
                },
                "ownerReferences": [owner_reference(deploy)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": int(deploy["spec"].get("minReadySeconds") or 0),
                "selector": selector,
                "template": template,
            },
        }
        try:
            created = self._store.create(REPLICASETS, rs)
        except ApiError:
            return None
        if replicas > 0:
            self._scaled(deploy, name, 0, replicas)
        return created

    def _initial_replicas(self, deploy: Obj, olds: list[Obj], desired: int, surge: int) -> int:
        if (deploy["spec"].get("strategy") or {}).get("type") == "Recreate":
            return (
                0
                if any(ro.spec_replicas(r) or self._pods.count_owned_by(r["metadata"]["uid"]) for r in olds)
                else desired
            )
        if not any(ro.spec_replicas(r) for r in olds):
            return desired
        total = sum(ro.spec_replicas(r) for r in olds)
        return max(0, min(desired + surge - total, desired))

    def _bump_revision(self, new: Obj, olds: list[Obj]) -> Obj:
        highest = max([ro.revision(r) for r in olds], default=0)
        if ro.revision(new) > highest:
            return new
        meta = new["metadata"]

        def bump(obj: Obj) -> None:
            obj["metadata"].setdefault("annotations", {})[ro.REVISION] = str(highest + 1)

        return self._store.mutate(REPLICASETS, meta["namespace"], meta["name"], bump)

    def _scale(self, deploy: Obj, rs: Obj, replicas: int) -> Obj:
        old = ro.spec_replicas(rs)
        if old == replicas:
            return rs
        desired = ro.desired_replicas(deploy)
        surge, _ = ro.surge_and_unavailable(deploy)

        def apply(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas
            annotations = obj["metadata"].setdefault("annotations", {})
            annotations[ro.DESIRED_REPLICAS] = str(desired)
            annotations[ro.MAX_REPLICAS] = str(desired + surge)

        meta = rs["metadata"]
        scaled = self._store.mutate(REPLICASETS, meta["namespace"], meta["name"], apply)
        self._scaled(deploy, meta["name"], old, replicas)
        return scaled

    def _scaled(self, deploy: Obj, name: str, old: int, new: int) -> None:
        verb = "up" if new > old else "down"
        message = f"Scaled {verb} replica set {name} from {old} to {new}"
        self._events.record(deploy, NORMAL, "ScalingReplicaSet", message, DEPLOYMENT_CONTROLLER)

    # ------------------------------------------------------------- strategies
    def _rolling(self, deploy: Obj, new: Obj, olds: list[Obj]) -> None:
        desired = ro.desired_replicas(deploy)
        surge, unavailable = ro.surge_and_unavailable(deploy)
        new_count = ro.spec_replicas(new)
        if new_count > desired:
            new = self._scale(deploy, new, desired)
        elif new_count < desired:
            total = new_count + sum(ro.spec_replicas(r) for r in olds)
            if total < desired + surge:
                new = self._scale(deploy, new, new_count + min(desired + surge - total, desired - new_count))
        old_total = sum(ro.spec_replicas(r) for r in olds)
        if not old_total:
            return
        all_total = ro.spec_replicas(new) + old_total
        min_available = desired - unavailable
        new_unavailable = ro.spec_replicas(new) - ro.status_count(new, "availableReplicas")
        room = all_total - min_available - new_unavailable
        if room <= 0:
            return
        replicas = {r["metadata"]["name"]: ro.spec_replicas(r) for r in olds}
        for rs in olds:  # oldest first: pods that are not available anyway go first
            name = rs["metadata"]["name"]
            unhealthy = replicas[name] - ro.status_count(rs, "availableReplicas")
            if room <= 0 or replicas[name] == 0 or unhealthy <= 0:
                continue
            down = min(room, unhealthy)
            replicas[name] -= down
            room -= down
        available = ro.status_count(new, "availableReplicas") + sum(
            min(ro.status_count(r, "availableReplicas"), replicas[r["metadata"]["name"]]) for r in olds
        )
        budget = available - min_available
        for rs in olds:
            name = rs["metadata"]["name"]
            if budget <= 0:
                break
            down = min(replicas[name], budget)
            replicas[name] -= down
            budget -= down
        for rs in olds:
            self._scale(deploy, rs, replicas[rs["metadata"]["name"]])

    def _recreate(self, deploy: Obj, new: Obj, olds: list[Obj]) -> None:
        for rs in olds:
            self._scale(deploy, rs, 0)
        if any(self._pods.count_owned_by(r["metadata"]["uid"]) for r in olds):
            return  # wait for every old pod to be gone
        self._scale(deploy, new, ro.desired_replicas(deploy))

    def _cleanup(self, deploy: Obj, olds: list[Obj]) -> None:
        limit = deploy["spec"].get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        idle = [
            r
            for r in (self._current(o) for o in olds)
            if r is not None
            and ro.spec_replicas(r) == 0
            and ro.status_count(r, "replicas") == 0
            and not r["metadata"].get("deletionTimestamp")
        ]
        idle.sort(key=ro.revision)
        for rs in idle[: max(len(idle) - limit, 0)]:
            self._store.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])

    def _annotate(self, deploy: Obj, new: Obj) -> None:
        wanted = str(ro.revision(new))
        if (deploy["metadata"].get("annotations") or {}).get(ro.REVISION) == wanted:
            return

        def apply(obj: Obj) -> None:
            obj["metadata"].setdefault("annotations", {})[ro.REVISION] = wanted

        meta = deploy["metadata"]
        self._store.mutate(DEPLOYMENTS, meta["namespace"], meta["name"], apply)
