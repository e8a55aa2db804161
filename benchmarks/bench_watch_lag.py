"""How far devstack's store lags behind `kubectl get pods -w` on the same simulator, same changes.

Each change is stamped in the simulator (its resourceVersion is recorded with the time it was
made); the benchmark notes when `kubectl get pods -w` prints that resourceVersion and when the
store (fed by devstack's watch workers and coalescer) holds it. Reports median and p95 lag of
both and the ratio devstack / kubectl.

Run: `.venv/bin/python -m benchmarks.bench_watch_lag [--changes 200] [--rate 50]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import report


def main() -> None:
    from devstack.core import events as ev
    from devstack.core.store import Store
    from devstack.sources.kube import ClusterWatch, KubeTarget
    from devstack_sim.background import BackgroundSimulator
    from devstack_sim.resources import PODS

    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="changes per second")
    parser.add_argument("--pods", type=int, default=50)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-lag-"))
    kubeconfig = home / "kubeconfig"
    os.environ["KUBECONFIG"] = str(kubeconfig)
    sim = BackgroundSimulator("lag", home / "sim", kubeconfig, runtime=False).start()
    made: dict[str, float] = {}
    seen_kubectl: dict[str, float] = {}
    seen_store: dict[str, float] = {}
    try:
        store_sim = sim.simulator.store

        def seed() -> None:
            for i in range(args.pods):
                store_sim.create(
                    PODS,
                    {
                        "metadata": {"name": f"p{i}", "namespace": "default"},
                        "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
                        "status": {},
                    },
                )

        sim.call(seed)
        kubectl = subprocess.Popen(
            [
                "kubectl",
                "--kubeconfig",
                str(kubeconfig),
                "--context",
                sim.context,
                "get",
                "pods",
                "-n",
                "default",
                "-w",
                "--no-headers",
                "-o",
                "custom-columns=NAME:.metadata.name,RV:.metadata.resourceVersion",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "KUBECACHEDIR": str(home / "cache")},
        )

        def read_kubectl() -> None:
            assert kubectl.stdout is not None
            for line in kubectl.stdout:
                parts = line.split()
                if len(parts) == 2:
                    seen_kubectl.setdefault(parts[1], time.perf_counter())

        threading.Thread(target=read_kubectl, daemon=True).start()
        store = Store()

        def on_event(state: object, event: ev.Event) -> None:
            now = time.perf_counter()
            changes = event.changes if isinstance(event, ev.KubeBatch) else (event,)
            for change in changes:
                if isinstance(change, ev.KubeChanged):
                    seen_store.setdefault(change.item.resource_version, now)  # type: ignore[union-attr]

        store.subscribe(on_event)
        watch = ClusterWatch(
            KubeTarget(sim.context, "default", str(kubeconfig)), store.dispatch, kinds=("pods",)
        )
        watch.start()
        time.sleep(3.0)  # both watchers listed and are streaming
        for i in range(args.changes):
            name = f"p{i % args.pods}"

            def change(name: str = name, i: int = i) -> tuple[str, float]:
                started = time.perf_counter()
                pod = store_sim.mutate(
                    PODS,
                    "default",
                    name,
                    lambda p: p["metadata"].setdefault("labels", {}).update(tick=str(i)),
                )
                return str(pod["metadata"]["resourceVersion"]), started

            rv, started = sim.call(change)
            made[rv] = started
            time.sleep(1.0 / args.rate)
        time.sleep(2.0)
        watch.stop()
        kubectl.terminate()
        kubectl.wait(timeout=10)
    finally:
        sim.stop()

    def lags(seen: dict[str, float]) -> list[float]:
        return [seen[rv] - t for rv, t in made.items() if rv in seen]

    kubectl_lags, store_lags = lags(seen_kubectl), lags(seen_store)

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "seen": len(values),
            "median_ms": round(statistics.median(ordered) * 1000, 2) if ordered else -1,
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2) if ordered else -1,
        }

    kubectl_summary, store_summary = summary(kubectl_lags), summary(store_lags)
    report(
        "watch_lag",
        {
            "changes": len(made),
            "rate_per_second": args.rate,
            "kubectl_get_pods_w": kubectl_summary,
            "devstack_store": store_summary,
            "ratio_median_store_to_kubectl": round(
                store_summary["median_ms"] / kubectl_summary["median_ms"], 2
            )
            if kubectl_summary["median_ms"] > 0
            else None,
        },
    )


if __name__ == "__main__":
    main()
