"""`devstack status --json` at 5,000 pods against `kubectl get pods -A -o json`, same simulator, same run.

The simulator runs in its own process with a Deployment of 5,000 processless pods (all Running).
Both commands run as fresh processes, interleaved, against the same cluster: wall time (spawn to
exit) and peak RSS (`ru_maxrss` of the child). devstack answers a question about the stack (every
kind it watches, the verdicts) where kubectl prints the pods; the goal is a ratio of at most 0.7
on both time and peak RSS.

Run: `.venv/bin/python -m benchmarks.bench_status_scale [--pods 5000] [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from benchmarks.common import compile_product, report, run_measured
from benchmarks.simprocess import REPO, served_cluster


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    compile_product()  # bytecode written, as an installed devstack has it
    with served_cluster(args.pods) as cluster:
        # DEVSTACK_SIM_TOOLS: a simulated kind cluster has no node container to check its address against
        env = {**os.environ, "KUBECONFIG": cluster.kubeconfig, "DEVSTACK_SIM_TOOLS": "1"}
        commands = {
            "kubectl get pods -A -o json": cluster.kubectl("get", "pods", "-A", "-o", "json"),
            "devstack status --json": [
                sys.executable,
                "-m",
                "devstack",
                "-p",
                "local-kind",
                "status",
                "--json",
            ],
        }
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        rss: dict[str, list[int]] = {name: [] for name in commands}
        for command in commands.values():  # warm the file cache and the simulator's encoders
            run_measured(command, env, str(REPO))
        for _ in range(args.rounds):
            for name, command in commands.items():
                elapsed, peak, _ = run_measured(command, env, str(REPO))
                seconds[name].append(elapsed)
                rss[name].append(peak)
    median_s = {name: statistics.median(values) for name, values in seconds.items()}
    median_rss = {name: statistics.median(values) for name, values in rss.items()}
    kubectl, devstack = commands
    report(
        "status_scale",
        {
            "pods": args.pods,
            "rounds": args.rounds,
            "median_ms": {name: round(value * 1000, 1) for name, value in median_s.items()},
            "min_ms": {name: round(min(values) * 1000, 1) for name, values in seconds.items()},
            "peak_rss_mib": {name: round(value / 2**20, 1) for name, value in median_rss.items()},
            "ratio_time": round(median_s[devstack] / median_s[kubectl], 3),
            "ratio_peak_rss": round(median_rss[devstack] / median_rss[kubectl], 3),
            "goal": 0.7,
        },
    )


if __name__ == "__main__":
    main()
