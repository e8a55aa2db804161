"""Watch expiry both ways the API server says it: a 410 `ERROR` event inside the stream, and HTTP 410
on the watch request itself. Both must list again, lose nothing, and never read as "API unreachable"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import wait_for
from test_watch import Recorder, create_pods, names_in, stored_pods

from devstack.core.store import Store
from devstack.sources.kube import ClusterWatch, KindWatcher, KubeTarget
from devstack_sim.background import BackgroundSimulator
from devstack_sim.resources import PODS


def pod(name: str) -> dict[str, object]:
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
    }


@pytest.fixture
def watched(
    bare_sim: BackgroundSimulator, target: KubeTarget
) -> Iterator[tuple[Store, KindWatcher, Recorder]]:
    store = Store()
    recorder = Recorder()
    store.subscribe(recorder)
    watch = ClusterWatch(target, store.dispatch, kinds=("pods",), interval=0.05)
    watch.start()
    wait_for(lambda: all(w.resource_version for w in watch.watchers), what="the first list")
    try:
        yield store, watch.watchers[0], recorder
    finally:
        watch.stop()


def test_http_410_on_the_watch_request_relists_and_is_not_unreachable(
    bare_sim: BackgroundSimulator, watched: tuple[Store, KindWatcher, Recorder]
) -> None:
    store, watcher, recorder = watched
    create_pods(bare_sim, [f"g{i}" for i in range(4)])
    wait_for(lambda: len(names_in(store)) == 4, what="4 pods")

    # While the watch is cut off the cluster changes and the server's watch cache moves past the
    # watcher's version: its next watch request is answered HTTP 410 with a Status body.
    def cut_change_and_expire() -> None:
        sim = bare_sim.simulator
        sim.faults.drop_watches()
        sim.store.create(PODS, pod("g-new"))
        sim.store.delete(PODS, "default", "g0", grace=False)
        sim.faults.watch_gone()

    bare_sim.call(cut_change_and_expire)
    wait_for(lambda: watcher.relists >= 1, what="a re-list after HTTP 410")
    wait_for(lambda: names_in(store) == stored_pods(bare_sim), what="store to match the cluster")
    create_pods(bare_sim, ["g-after"])
    wait_for(lambda: "g-after" in names_in(store), what="the watch to go on after the re-list")
    store.flush()
    assert False not in recorder.api, "an expired watch is not an unreachable API"
    assert store.state.cluster.api == "reachable"
    duplicated = {name: n for name, n in recorder.added.items() if n > 1 + recorder.deleted[name]}
    assert not duplicated


def test_a_410_error_event_relists_and_is_not_unreachable(
    bare_sim: BackgroundSimulator, watched: tuple[Store, KindWatcher, Recorder]
) -> None:
    store, watcher, recorder = watched
    create_pods(bare_sim, [f"e{i}" for i in range(3)])
    wait_for(lambda: len(names_in(store)) == 3, what="3 pods")

    def cut_change_and_compact() -> None:
        sim = bare_sim.simulator
        sim.faults.drop_watches()
        sim.store.create(PODS, pod("e-new"))
        sim.store.expire_history()

    bare_sim.call(cut_change_and_compact)
    wait_for(lambda: watcher.relists >= 1, what="a re-list after the 410 event")
    wait_for(lambda: names_in(store) == stored_pods(bare_sim), what="store to match the cluster")
    store.flush()
    assert False not in recorder.api
    assert store.state.cluster.api == "reachable"
