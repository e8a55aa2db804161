"""Watch → store throughput, as a ratio to raw `json.loads` of the same stream, in the same run.

A real watch stream is recorded from the simulator (pods changing status), then replayed through:
- `json.loads` of each line (what a client that parses the JSON must do at least);
- devstack's path, as the watch workers run it: each line decoded straight into a pod summary
  (`core/kubedecode.py`) → `KubeChanged` batched into `KubeBatch` → `Store`;
- the official client's default path: deserialising each object into `V1Pod` models.

Run: `.venv/bin/python -m benchmarks.bench_watch_decode [--pods 500] [--events 20000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import report

CHUNK = 500  # lines per timed slice


def record_stream(pods: int, events: int) -> list[bytes]:
    """Watch lines from the simulator while `events` pod status changes happen."""
    from devstack.sources.kube import KubeTarget, iter_lines, list_call, new_api_client
    from devstack_sim.background import BackgroundSimulator
    from devstack_sim.resources import PODS

    home = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    kubeconfig = home / "kubeconfig"
    sim = BackgroundSimulator("bench", home / "sim", kubeconfig, runtime=False).start()
    try:
        store = sim.simulator.store

        def seed() -> None:
            for i in range(pods):
                store.create(PODS, _pod(f"p{i:05d}"))

        sim.call(seed)
        client = new_api_client(KubeTarget(sim.context, "default", str(kubeconfig)))
        rv = json.loads(list_call(client, "pods", "default")(_request_timeout=30).data)["metadata"][
            "resourceVersion"
        ]

        def churn() -> None:
            for i in range(events):
                name = f"p{i % pods:05d}"
                store.mutate(
                    PODS,
                    "default",
                    name,
                    lambda p, i=i: p["status"].update(phase="Running", message=f"tick {i}"),
                )

        sim.call(churn, timeout=600)
        response = list_call(client, "pods", "default")(
            watch=True, resource_version=rv, timeout_seconds=5, _request_timeout=(5, 60)
        )
        lines = list(iter_lines(response))
        client.close()
        return lines
    finally:
        sim.stop()


def _pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": "bench", "pod-template-hash": "abc"},
        },
        "spec": {"containers": [{"name": "app", "image": "sim/noop", "ports": [{"containerPort": 8000}]}]},
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "sim/noop",
                    "imageID": "",
                    "ready": False,
                    "restartCount": 0,
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                }
            ],
        },
    }


def raw(lines: list[bytes]) -> int:
    """Baseline: decode every line."""
    return sum(1 for line in lines if json.loads(line))


class DevstackPath:
    """Decode, summarise, batch and reduce into the store, as the watch workers do (fed in chunks)."""

    def __init__(self) -> None:
        from devstack.core.kubedecode import codec
        from devstack.core.store import Store

        self.decode = codec("pods").decode_line
        self.store = Store()
        self.version = ""

    def __call__(self, lines: list[bytes]) -> int:
        from devstack.core import events as ev

        decode, store = self.decode, self.store
        batch: list[ev.KubeChanged] = []
        for line in lines:
            event = decode(line)
            self.version = event.resource_version or self.version
            if event.item is not None:
                batch.append(ev.KubeChanged("pods", event.type, event.item))
            if len(batch) == 100:
                store.dispatch(ev.KubeBatch(tuple(batch)))
                batch = []
        if batch:
            store.dispatch(ev.KubeBatch(tuple(batch)))
        return len(store.state.pods)


def devstack_path(lines: list[bytes]) -> int:
    """The whole stream through a fresh `DevstackPath`."""
    return DevstackPath()(lines)


def model_path(lines: list[bytes]) -> int:
    """The official client's default: deserialise into V1Pod models."""
    from kubernetes.client import ApiClient

    client = ApiClient()
    count = 0
    for line in lines:
        event = json.loads(line)
        client._ApiClient__deserialize(event["object"], "V1Pod")  # what watch.Watch does per event
        count += 1
    return count


def _timed(run: Callable[[list[bytes]], int], lines: list[bytes]) -> float:
    start = time.perf_counter()
    run(lines)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=500)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("KUBECONFIG", str(Path(tempfile.mkdtemp()) / "config"))
    lines = record_stream(args.pods, args.events)
    chunks = [lines[i : i + CHUNK] for i in range(0, len(lines), CHUNK)]
    per_chunk: dict[str, list[list[float]]] = {
        name: [[] for _ in chunks] for name in ("json.loads", "devstack")
    }
    for _ in range(args.rounds):
        devstack = DevstackPath()
        for index, chunk in enumerate(chunks):  # alternate chunk by chunk: noise hits both alike
            for name, run in (("json.loads", raw), ("devstack", devstack)):
                start = time.perf_counter()
                run(chunk)
                per_chunk[name][index].append(time.perf_counter() - start)
    best = {name: sum(min(samples) for samples in chunk_times) for name, chunk_times in per_chunk.items()}
    best["kubernetes models"] = min(_timed(model_path, lines) for _ in range(3))  # 10x slower: for scale
    rate = {name: round(len(lines) / seconds) for name, seconds in best.items()}
    report(
        "watch_decode",
        {
            "events": len(lines),
            "rounds": args.rounds,
            "note": f"events/s: sum over chunks of {CHUNK} lines of each chunk's best time (interleaved)",
            "events_per_second": rate,
            "ratio_devstack_to_json_loads": round(rate["devstack"] / rate["json.loads"], 3),
            "ratio_models_to_json_loads": round(rate["kubernetes models"] / rate["json.loads"], 3),
            "speedup_devstack_vs_models": round(rate["devstack"] / rate["kubernetes models"], 1),
        },
    )


if __name__ == "__main__":
    main()
