"""The dashboard at scale: 5,000 pods with ~100 pod status changes/s, next to 50 pods (baseline).

A `BackgroundSimulator` (this process, its own loop thread) runs a Deployment of processless
`sim/noop` pods. devstack's watches follow the namespace (`Session.start_watching`, the real
client) and the app runs headless (`App.run_test`, 160x50) on the main thread. Once every pod is
in the Pods pane, a driver on the simulator's loop flips the Ready condition of `rate` pods per
second for `seconds` seconds (the Deployment, ReplicaSet and EndpointSlices follow, as in a real
cluster). Reported per run: store events/s reaching the bridge, repaints/s, mean and max paint
time, the main thread's busy fraction (its CPU time / wall time, Textual's work included), the UI
loop's lag (how late a 20 ms sleep wakes up), and how long after the last change the pane showed it.

Run: `.venv/bin/python -m benchmarks.bench_tui_scale [--pods 5000] [--rate 100] [--seconds 20]`.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import report, scale_arguments

NAMESPACE = "jetscale"
REPO = Path(__file__).resolve().parents[1]


def deployment(replicas: int) -> dict[str, Any]:
    labels = {"app": "noop"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "noop", "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "sim/noop"}]},
            },
        },
    }


def flip_ready(pod: dict[str, Any]) -> None:
    """Toggle the pod's Ready condition and its container's `ready` (what a probe flapping does)."""
    status = pod.setdefault("status", {})
    ready = not any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions", [])
    )
    for condition in status.get("conditions", []):
        if condition.get("type") in ("Ready", "ContainersReady"):
            condition["status"] = "True" if ready else "False"
    for container in status.get("containerStatuses", []):
        container["ready"] = ready


def start_cluster(home: Path, pods: int) -> Any:
    from devstack_sim import resources
    from devstack_sim.background import BackgroundSimulator
    from devstack_sim.runtime import ClusterOptions

    options = ClusterOptions(node_name="jetscale-control-plane")
    sim = BackgroundSimulator("jetscale", home / "sim", home / "kubeconfig", options=options).start()

    def create() -> None:
        store = sim.simulator.store
        store.create(resources.NAMESPACES, {"metadata": {"name": NAMESPACE}})
        store.create(resources.DEPLOYMENTS, deployment(pods))

    sim.call(create)
    return sim


def session_for(kubeconfig: Path) -> Any:
    from devstack.engine.context import EngineContext
    from devstack.engine.session import Session
    from devstack.profile import LoadedProfile, load_profile
    from devstack.sources.tools import ToolEnv

    path = REPO / "profiles" / "local-kind.yaml"
    loaded = LoadedProfile(load_profile(path), path, REPO)
    tools = ToolEnv({**os.environ, "KUBECONFIG": str(kubeconfig)}, allow_sim=True)  # a simulated cluster
    return Session(build=lambda store: EngineContext(loaded, store, tools), check_cluster=False)


def drive(sim: Any, names: list[str], rate: float, seconds: float) -> dict[str, float]:
    """Flip `rate` pods/s on the simulator's loop (blocking); returns what was achieved."""
    from devstack_sim import resources

    total = int(rate * seconds)

    async def run() -> dict[str, float]:
        loop = asyncio.get_running_loop()
        store = sim.simulator.store
        start = loop.time()
        for index in range(total):
            delay = start + index / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            store.mutate(resources.PODS, NAMESPACE, names[index % len(names)], flip_ready)
        return {"changes": total, "achieved_per_second": total / (loop.time() - start)}

    result: dict[str, float] = sim.run(run, timeout=seconds * 4 + 60)
    return result


async def measure(pods: int, rate: float, seconds: float) -> dict[str, Any]:
    from devstack.tui.app import DevstackApp

    home = Path(tempfile.mkdtemp(prefix="bench-tui-scale-"))
    sim = start_cluster(home, pods)
    session = session_for(home / "kubeconfig")
    app = DevstackApp(session, watch=True, tour=False)
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            started = time.perf_counter()
            while not app.main.ready or len(app.main.pane("pods").keys) < pods or not _all_running(app, pods):
                if time.perf_counter() - started > 600:
                    raise TimeoutError(f"{pods} pods did not show up")
                await pilot.pause(0.2)
            to_all = time.perf_counter() - started
            names = sorted(p.name for p in session.store.state.pods.values())
            result = await _during_drive(app, sim, names, rate, seconds)
            last = names[(int(rate * seconds) - 1) % len(names)]
            caught_up = await _catch_up(app, pilot, f"{NAMESPACE}/{last}")
            await pilot.press("q")
    finally:
        session.close()
        sim.stop()
    return {
        "pods": pods,
        "seconds_to_all_pods_shown": round(to_all, 2),
        **result,
        "seconds_to_show_the_last_change": caught_up,
    }


def _all_running(app: Any, pods: int) -> bool:
    state = app.session.store.state
    return sum(1 for p in state.pods.values() if p.phase == "Running" and p.ready) >= pods


async def _during_drive(app: Any, sim: Any, names: list[str], rate: float, seconds: float) -> dict[str, Any]:
    bridge = app.bridge
    achieved: dict[str, float] = {}
    driver = threading.Thread(target=lambda: achieved.update(drive(sim, names, rate, seconds)), daemon=True)
    events, repaints, painted = bridge.events, bridge.repaints, bridge.paint_seconds
    bridge.paint_max = 0.0
    wall, cpu = time.perf_counter(), time.thread_time()
    lags: list[float] = []
    driver.start()
    while driver.is_alive():
        before = time.perf_counter()
        await asyncio.sleep(0.02)
        lags.append(time.perf_counter() - before - 0.02)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    count = bridge.repaints - repaints
    lags.sort()
    return {
        "changes_per_second": round(achieved.get("achieved_per_second", 0.0), 1),
        "store_events_per_second": round((bridge.events - events) / wall, 1),
        "repaints_per_second": round(count / wall, 2),
        "paint_ms_mean": round((bridge.paint_seconds - painted) / max(count, 1) * 1000, 1),
        "paint_ms_max": round(bridge.paint_max * 1000, 1),
        "main_thread_busy_fraction": round(cpu / wall, 3),
        "ui_lag_ms_p50": round(statistics.median(lags) * 1000, 1),
        "ui_lag_ms_p95": round(lags[int(len(lags) * 0.95) - 1] * 1000, 1),
        "ui_lag_ms_max": round(lags[-1] * 1000, 1),
    }


async def _catch_up(app: Any, pilot: Any, key: str) -> float:
    """Seconds until the Pods pane's READY column shows the last flipped pod as the store has it."""
    started = time.perf_counter()
    while time.perf_counter() - started < 60:
        pod = app.session.store.state.pods.get(key)
        cells = app.main.pane("pods").cells(key)
        want = "1/1" if pod is not None and pod.ready else "0/1"
        if cells is not None and getattr(cells[2], "plain", "") == want:
            return round(time.perf_counter() - started, 3)
        await pilot.pause(0.05)
    return float("nan")


def main() -> None:
    args = scale_arguments(rate=100.0)
    os.environ.setdefault("HOME", tempfile.mkdtemp())
    baseline = asyncio.run(measure(args.baseline_pods, args.rate, args.seconds))
    scaled = asyncio.run(measure(args.pods, args.rate, args.seconds))
    report(
        "tui_scale",
        {
            "rate": args.rate,
            "seconds": args.seconds,
            "baseline": baseline,
            "scaled": scaled,
            "ratio_busy_fraction": round(
                scaled["main_thread_busy_fraction"] / max(baseline["main_thread_busy_fraction"], 1e-9), 2
            ),
            "ratio_paint_ms_mean": round(scaled["paint_ms_mean"] / max(baseline["paint_ms_mean"], 1e-9), 2),
            "repaints_capped": scaled["repaints_per_second"] <= 1 / 0.25 + 0.5,
        },
    )


if __name__ == "__main__":
    main()
