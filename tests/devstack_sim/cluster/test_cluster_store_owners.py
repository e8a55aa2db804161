"""The store's ownerReference cascade, now driven by an owner index (semantics unchanged)."""

from __future__ import annotations

from devstack_sim.resources import CONFIGMAPS, DEPLOYMENTS, PODS, REPLICASETS
from devstack_sim.store import Store


def owned_by(owner: dict, name: str, kind: str = "Deployment") -> dict:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": kind,
                    "name": owner["metadata"]["name"],
                    "uid": owner["metadata"]["uid"],
                }
            ],
        },
        "spec": {},
    }


def test_cascade_follows_owner_references_as_they_change(store: Store) -> None:
    deploy = store.create(DEPLOYMENTS, {"metadata": {"name": "d", "namespace": "default"}, "spec": {}})
    rs = store.create(REPLICASETS, owned_by(deploy, "rs"))
    pod = store.create(PODS, owned_by(rs, "p", "ReplicaSet"))
    kept = store.create(CONFIGMAPS, owned_by(deploy, "kept"))
    adopted = store.create(CONFIGMAPS, {"metadata": {"name": "adopted", "namespace": "default"}})

    def disown(obj: dict) -> None:
        obj["metadata"]["ownerReferences"] = []

    def adopt(obj: dict) -> None:
        obj["metadata"]["ownerReferences"] = owned_by(deploy, "x")["metadata"]["ownerReferences"]

    store.mutate(CONFIGMAPS, "default", kept["metadata"]["name"], disown)
    store.mutate(CONFIGMAPS, "default", adopted["metadata"]["name"], adopt)

    store.delete(DEPLOYMENTS, "default", "d")

    assert store.get(REPLICASETS, "default", "rs") is None
    assert store.get(CONFIGMAPS, "default", "adopted") is None
    assert store.get(CONFIGMAPS, "default", "kept") is not None
    # Pods are deleted gracefully: the kubelet finishes them.
    assert store.get(PODS, "default", "p")["metadata"]["deletionTimestamp"]
    assert pod["metadata"]["uid"] == store.get(PODS, "default", "p")["metadata"]["uid"]


def test_deleting_a_leaf_does_not_touch_unrelated_objects(store: Store) -> None:
    owner = store.create(CONFIGMAPS, {"metadata": {"name": "owner", "namespace": "default"}})
    for i in range(50):
        store.create(CONFIGMAPS, owned_by(owner, f"child-{i}", "ConfigMap"))
    leaf = store.create(PODS, {"metadata": {"name": "leaf", "namespace": "default"}, "spec": {}})
    store.delete(PODS, "default", leaf["metadata"]["name"], grace=False)
    assert len(store.list(CONFIGMAPS, "default")) == 51
    store.delete(CONFIGMAPS, "default", "owner")
    assert store.list(CONFIGMAPS, "default") == []
