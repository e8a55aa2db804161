"""Watches through the real kubernetes client against the simulator: resume, 410, API restarts."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest
from helpers import wait_for

from devstack.core import events as ev
from devstack.core.store import Store
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack_sim.background import BackgroundSimulator
from devstack_sim.resources import PODS


def create_pods(sim: BackgroundSimulator, names: list[str]) -> None:
    def create() -> None:
        for name in names:
            sim.simulator.store.create(
                PODS,
                {
                    "metadata": {"name": name, "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
                },
            )

    sim.call(create)


def delete_pods(sim: BackgroundSimulator, names: list[str]) -> None:
    sim.call(lambda: [sim.simulator.store.delete(PODS, "default", n, grace=False) for n in names])


def stored_pods(sim: BackgroundSimulator) -> set[str]:
    return sim.call(lambda: {p["metadata"]["name"] for p in sim.simulator.store.list(PODS, "default")})


class Recorder:
    """Counts ADDED watch events per pod (a duplicate ADDED without a DELETE in between is a bug)."""

    def __init__(self) -> None:
        self.added: Counter[str] = Counter()
        self.deleted: Counter[str] = Counter()
        self.api: list[bool] = []

    def __call__(self, state: object, event: ev.Event) -> None:
        changes = event.changes if isinstance(event, ev.KubeBatch) else (event,)
        for change in changes:
            if isinstance(change, ev.KubeChanged) and change.kind == "pods":
                target = (
                    self.added
                    if change.change == "ADDED"
                    else self.deleted
                    if change.change == "DELETED"
                    else None
                )
                if target is not None:
                    target[change.item.name] += 1
            if isinstance(change, ev.ApiStatus):
                self.api.append(change.reachable)


@pytest.fixture
def watched(bare_sim: BackgroundSimulator, target: KubeTarget):
    store = Store()
    recorder = Recorder()
    store.subscribe(recorder)
    watch = ClusterWatch(target, store.dispatch, kinds=("pods",), interval=0.05)
    watch.start()
    wait_for(lambda: all(w.resource_version for w in watch.watchers), what="the first list")
    try:
        yield store, watch, recorder
    finally:
        watch.stop()


def names_in(store: Store) -> set[str]:
    return {p.name for p in store.state.pods.values()}


def test_list_then_watch_follows_every_change(bare_sim, watched) -> None:
    store, _watch, recorder = watched
    create_pods(bare_sim, [f"a{i}" for i in range(10)])
    wait_for(lambda: len(names_in(store)) == 10, what="10 pods in the store")
    delete_pods(bare_sim, ["a0", "a1"])
    wait_for(lambda: names_in(store) == stored_pods(bare_sim), what="store to match the cluster")
    assert max(recorder.added.values()) == 1


def test_forced_410_relists_and_loses_nothing(bare_sim, watched) -> None:
    store, watch, _recorder = watched
    create_pods(bare_sim, [f"b{i}" for i in range(5)])
    wait_for(lambda: len(names_in(store)) == 5, what="5 pods")
    [watcher] = watch.watchers

    # While the watch is cut off, the cluster changes and compacts its history: the watch's
    # resourceVersion is now too old, so resuming must get 410 and the watcher must list again.
    bare_sim.run(bare_sim.simulator.server.stop_listening)
    create_pods(bare_sim, ["b-new"])
    delete_pods(bare_sim, ["b0"])
    bare_sim.call(bare_sim.simulator.store.expire_history)
    bare_sim.run(bare_sim.simulator.server.start_listening)
    wait_for(lambda: watcher.relists >= 1, what="a re-list after 410")
    wait_for(lambda: names_in(store) == stored_pods(bare_sim), what="store to match the cluster after 410")
    assert "b-new" in names_in(store) and "b0" not in names_in(store)


def test_api_restart_during_a_watch_loses_and_duplicates_nothing(bare_sim, watched) -> None:
    store, _watch, recorder = watched
    create_pods(bare_sim, [f"c{i}" for i in range(5)])
    wait_for(lambda: len(names_in(store)) == 5, what="5 pods")
    bare_sim.run(bare_sim.simulator.server.stop_listening)
    create_pods(bare_sim, ["c-during-1", "c-during-2"])
    delete_pods(bare_sim, ["c0"])
    wait_for(lambda: store.state.cluster.api == "unreachable", what="API unreachable state")
    assert store.state.cluster.unreachable_since is not None
    bare_sim.run(bare_sim.simulator.server.start_listening)
    wait_for(lambda: names_in(store) == stored_pods(bare_sim), timeout=30, what="resync after restart")
    wait_for(lambda: store.state.cluster.api == "reachable", what="API reachable again")
    duplicated = {name: n for name, n in recorder.added.items() if n > 1 + recorder.deleted[name]}
    assert not duplicated


def test_the_watch_uses_the_profile_context_not_current_context(bare_sim, tmp_path) -> None:
    """current-context points elsewhere (an EKS-like entry); the explicit target still works."""
    import yaml

    path = os.environ["KUBECONFIG"]
    config = yaml.safe_load(Path(path).read_text())
    config["contexts"].append(
        {"name": "arn:aws:eks:eu-west-1:1:cluster/prod", "context": {"cluster": "prod", "user": "prod"}}
    )
    config["clusters"].append({"name": "prod", "cluster": {"server": "https://127.0.0.2:1"}})
    config["users"].append({"name": "prod", "user": {"token": "x"}})
    config["current-context"] = "arn:aws:eks:eu-west-1:1:cluster/prod"
    Path(path).write_text(yaml.safe_dump(config))
    store = Store()
    watch = ClusterWatch(KubeTarget(bare_sim.context, "default", path), store.dispatch, kinds=("pods",))
    create_pods(bare_sim, ["d0"])
    watch.start()
    try:
        wait_for(lambda: "d0" in names_in(store), what="pod d0 via kind-w")
    finally:
        watch.stop()
