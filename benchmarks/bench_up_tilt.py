"""`devstack up --headless` with Tilt (`-p local-kind-tilt`) on an already healthy stack: devstack's
own overhead over Tilt, and the cost of following Tilt (one `tilt get` pair per second).

Baseline, side by side in the same run: what a developer would type by hand for the same result —
`tilt ci` with the same Tiltfile, context and namespace (its own settings dir and a free web port).
devstack adds the doctor, the context guard, the watches, the poll of Tilt's state, waiting for
readiness, the forwards and the checks.

Run: `.venv/bin/python -m benchmarks.bench_up_tilt [--rounds 3]` (uses the simulator's stand-ins).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile

from benchmarks.common import demo_settings_on_free_ports, free_port, interleaved, report


def main() -> None:
    from devstack.cli.demo_stack import DemoEnvironment

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = demo_settings_on_free_ports()
    with DemoEnvironment(settings, "healthy", tool="tilt") as env, tempfile.TemporaryDirectory() as dev_dir:
        child_env = {**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"}  # the user's environment
        root = str(env.loaded.root)
        context = env.loaded.profile.context
        profile = env.loaded.profile.name

        def devstack_up() -> None:
            command = [sys.executable, "-m", "devstack", "-p", profile, "up", "--headless", "--json"]
            done = subprocess.run(command, env=child_env, cwd=root, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"devstack up failed (exit {done.returncode}): {done.stdout[-2000:]}")

        def by_hand() -> None:
            command = ["tilt", "ci", "--context", context, "--file", "Tiltfile", "--namespace", "jetscale"]
            command += ["--port", str(free_port()), "--", "--no-port-forwards"]
            by_hand_env = {**child_env, "TILT_DEV_DIR": dev_dir}
            subprocess.run(command, env=by_hand_env, cwd=root, check=True, capture_output=True)

        def tilt_get_pair() -> None:
            """What one poll costs (against no running Tilt: the client's own start-up and exit)."""
            for what in (["uiresources"], ["session", "Tiltfile"]):
                command = ["tilt", "get", *what, "-o", "json", "--port", "1"]
                subprocess.run(command, env={**child_env, "TILT_DEV_DIR": dev_dir}, capture_output=True)

        devstack_up()  # cold: creates the cluster and deploys once
        timings = interleaved(
            {"devstack up --headless (tilt)": devstack_up, "tilt ci by hand": by_hand}, args.rounds
        )
        polls = interleaved({"tilt get pair": tilt_get_pair}, args.rounds * 3)
    medians = {name: round(statistics.median(values), 2) for name, values in timings.items()}
    report(
        "up_tilt_warm",
        {
            "rounds": args.rounds,
            "median_seconds": medians,
            "ratio_devstack_to_tilt_ci": round(
                medians["devstack up --headless (tilt)"] / medians["tilt ci by hand"], 2
            ),
            "tilt_get_pair_median_seconds": round(statistics.median(polls["tilt get pair"]), 3),
        },
    )


if __name__ == "__main__":
    main()
