"""`devstack up --timeout T`: one deadline for the whole run, so the wall time is T plus start-up.

Baseline, side by side in the same run: `devstack version` (the interpreter, the imports and the
exit handlers: what every command costs before and after its work). The overshoot is the wall time
of `up --timeout T` minus T minus that baseline: the time `up` keeps running after its deadline
(stopping the step, the watches and the deploy tool). Before one deadline, each stage had T of its
own (`up --timeout 1` took several seconds).

Run: `.venv/bin/python -m benchmarks.bench_up_timeout [--rounds 3] [--timeouts 1 3]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from benchmarks.common import free_port, interleaved, report


def main() -> None:
    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.settings import Settings

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeouts", type=float, nargs="+", default=[1.0, 3.0])
    args = parser.parse_args()
    settings = Settings.from_environ(
        {
            **os.environ,
            "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
            "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
        }
    )
    with DemoEnvironment(settings, "healthy") as env:
        child_env = {**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"}
        root = str(env.loaded.root)

        def devstack(*words: str) -> None:
            command = [sys.executable, "-m", "devstack", *words]
            subprocess.run(command, env=child_env, cwd=root, capture_output=True, check=False)

        devstack("up", "--headless")  # the cluster exists: every timed run reuses it
        candidates = {"baseline: devstack version": lambda: devstack("version")}
        for seconds in args.timeouts:
            candidates[f"up --timeout {seconds:g}"] = lambda s=seconds: devstack(
                "up", "--headless", "--timeout", f"{s:g}"
            )
        timings = interleaved(candidates, args.rounds)
    baseline = statistics.median(timings["baseline: devstack version"])
    document: dict[str, object] = {"rounds": args.rounds, "baseline_s": round(baseline, 2)}
    for seconds in args.timeouts:
        wall = statistics.median(timings[f"up --timeout {seconds:g}"])
        document[f"up --timeout {seconds:g}"] = {
            "wall_s": round(wall, 2),
            "overshoot_s": round(wall - seconds - baseline, 2),
            "ratio_to_timeout_plus_baseline": round(wall / (seconds + baseline), 2),
        }
    report("bench_up_timeout", document)


if __name__ == "__main__":
    main()
