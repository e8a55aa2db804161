"""The simulator at scale: 5,000 pods and 200 pod changes/s on 2 cores, without falling behind.

The simulator runs as its own process (as the kind stand-in runs it). A Deployment of 5,000
processless pods (`sim/noop`) is created; then pods are patched at the target rate through the API
while devstack's watch follows them. Reported: time to 5,000 Running pods, the change rate the
API sustained, the watch lag (patch accepted → change in devstack's store), and the simulator's
CPU and memory — next to the same run with 50 pods as the baseline (ratios at the end).

Run: `.venv/bin/python -m benchmarks.bench_sim_scale [--pods 5000] [--rate 200] [--seconds 20]`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import report, scale_arguments


def deployment(replicas: int) -> dict[str, Any]:
    labels = {"app": "noop"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "noop", "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
            },
        },
    }


def run(pods: int, rate: float, seconds: float) -> dict[str, Any]:
    import psutil
    from kubernetes import client

    from devstack.core import events as ev
    from devstack.core.store import Store
    from devstack.sources.kube import ClusterWatch, KubeTarget, new_api_client

    home = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    kubeconfig = str(home / "kubeconfig")
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack_sim",
            "serve",
            "--name",
            "scale",
            "--kubeconfig",
            kubeconfig,
            "--state-dir",
            str(home / "sim"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert sim.stdout is not None and "serving" in sim.stdout.readline()
        target = KubeTarget("kind-scale", "default", kubeconfig)
        api = new_api_client(target)
        apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
        started = time.perf_counter()
        apps.create_namespaced_deployment("default", deployment(pods))
        store = Store()
        seen: dict[str, float] = {}

        def on_event(state: object, event: ev.Event) -> None:
            now = time.perf_counter()
            for change in event.changes if isinstance(event, ev.KubeBatch) else ():
                seen.setdefault(change.item.resource_version, now)  # type: ignore[union-attr]

        store.subscribe(on_event)
        watch = ClusterWatch(target, store.dispatch, kinds=("pods",))
        watch.start(api)
        while sum(1 for p in store.state.pods.values() if p.phase == "Running") < pods:
            if time.perf_counter() - started > 300:
                raise TimeoutError("pods did not become Running")
            time.sleep(0.2)
        to_running = time.perf_counter() - started
        names = sorted(p.name for p in store.state.pods.values())
        process = psutil.Process(sim.pid)
        process.cpu_percent(None)
        made: dict[str, float] = {}
        lock = threading.Lock()

        def patch(i: int) -> None:
            t0 = time.perf_counter()
            body = {"metadata": {"labels": {"tick": str(i)}}}
            pod = core.patch_namespaced_pod(names[i % len(names)], "default", body, _preload_content=False)
            import json

            rv = json.loads(pod.data)["metadata"]["resourceVersion"]
            with lock:
                made[rv] = t0

        total = int(rate * seconds)
        begin = time.perf_counter()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for i in range(total):
                delay = begin + i / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(patch, i)
        achieved = total / (time.perf_counter() - begin)
        time.sleep(2.0)
        cpu = process.cpu_percent(None)
        rss = process.memory_info().rss
        watch.stop()
        lags = sorted(seen[rv] - t for rv, t in made.items() if rv in seen)
        return {
            "pods": pods,
            "seconds_to_all_running": round(to_running, 2),
            "changes": total,
            "achieved_changes_per_second": round(achieved, 1),
            "changes_seen_by_watch": len(lags),
            "watch_lag_median_ms": round(statistics.median(lags) * 1000, 2) if lags else None,
            "watch_lag_p95_ms": round(lags[int(len(lags) * 0.95) - 1] * 1000, 2) if lags else None,
            "sim_cpu_percent": round(cpu, 1),
            "sim_rss_mib": round(rss / 2**20, 1),
        }
    finally:
        sim.terminate()
        sim.wait(timeout=60)


def main() -> None:
    args = scale_arguments(rate=200.0)
    os.environ.setdefault("KUBECACHEDIR", tempfile.mkdtemp())
    baseline = run(args.baseline_pods, args.rate, args.seconds)
    scaled = run(args.pods, args.rate, args.seconds)
    report(
        "sim_scale",
        {
            "baseline": baseline,
            "scaled": scaled,
            "ratio_lag_median": round(scaled["watch_lag_median_ms"] / baseline["watch_lag_median_ms"], 2),
            "ratio_rss": round(scaled["sim_rss_mib"] / baseline["sim_rss_mib"], 2),
            "kept_up": scaled["changes_seen_by_watch"] == scaled["changes"]
            and scaled["achieved_changes_per_second"] >= 0.95 * args.rate,
        },
    )


if __name__ == "__main__":
    main()
