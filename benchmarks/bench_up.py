"""`devstack up --headless` on an already healthy stack: devstack's own overhead.

Baseline, side by side in the same run: the tool calls a developer would type by hand for the same
result — `kind get clusters` and `skaffold run` with the same profile and context. devstack adds
the doctor, the context guard, the watches, waiting for readiness, the forwards and the checks.

Run: `.venv/bin/python -m benchmarks.bench_up [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from benchmarks.common import demo_settings_on_free_ports, report


def main() -> None:
    from devstack.cli.demo_stack import DemoEnvironment

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = demo_settings_on_free_ports()
    with DemoEnvironment(settings, "healthy") as env:
        child_env = {**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"}  # the user's environment
        root = str(env.loaded.root)
        context = env.loaded.profile.context
        kubeconfig = env.tools.env["KUBECONFIG"]

        def devstack_up() -> None:
            subprocess.run(
                [sys.executable, "-m", "devstack", "up", "--headless", "--json"],
                env=child_env,
                cwd=root,
                check=True,
                capture_output=True,
            )

        def by_hand() -> None:
            subprocess.run(["kind", "get", "clusters"], env=child_env, check=True, capture_output=True)
            subprocess.run(
                [
                    "skaffold",
                    "run",
                    "-p",
                    "local-kind",
                    "--kube-context",
                    context,
                    "--kubeconfig",
                    kubeconfig,
                    "--port-forward=off",
                    "--status-check=true",
                ],
                env=child_env,
                cwd=root,
                check=True,
                capture_output=True,
            )

        devstack_up()  # cold: creates the cluster and deploys once
        timings: dict[str, list[float]] = {
            "devstack up --headless": [],
            "kind get clusters + skaffold run": [],
        }
        for _ in range(args.rounds):
            for name, run in (
                ("devstack up --headless", devstack_up),
                ("kind get clusters + skaffold run", by_hand),
            ):
                start = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - start)
    medians = {name: round(statistics.median(values), 2) for name, values in timings.items()}
    report(
        "up_warm",
        {
            "rounds": args.rounds,
            "median_seconds": medians,
            "ratio_devstack_to_tools": round(
                medians["devstack up --headless"] / medians["kind get clusters + skaffold run"], 2
            ),
        },
    )


if __name__ == "__main__":
    main()
