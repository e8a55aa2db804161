"""devstack's overhead on a dev-loop iteration, against `kubectl rollout status` on the same simulator.

`devstack up` runs in dev mode (skaffold dev followed through its event API) on the simulated
demo stack. Each round appends a comment to the backend's source; skaffold rebuilds and
redeploys. From the moment the deploy tool says "deployed" (the end of the timeline's `deploy`
phase), the benchmark measures, in the same iteration:

- devstack: until its watch shows the new pods Ready and no old one (`rollout` ends), and until
  the first expected answer through the local forward (`http` ends: "the browser sees it");
- baseline: `kubectl rollout status deployment/jetscale-backend`, started by a store subscriber
  as soon as the deploy ended, until it exits (the rollout complete as kubectl sees it).

The ratio devstack / kubectl is the overhead of devstack's view (its watch, reducer and forward
re-targeting) over the plain tool. A second measure: how long `up --headless` takes to fail on
the imagepull scenario (a final state: devstack fails fast) against its `--timeout`, with the
seconds of each step (the failed one names the image).

Run: `.venv/bin/python -m benchmarks.bench_dev_loop [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from benchmarks.common import free_port, report

IMAGEPULL_TIMEOUT = 300


def _settings() -> Any:
    from devstack.settings import Settings

    return Settings.from_environ(
        {
            **os.environ,
            "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
            "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
        }
    )


class RolloutTimer:
    """Starts `kubectl rollout status` the moment an iteration's deploy phase ends."""

    def __init__(self, kubectl: list[str], env: dict[str, str]):
        self.kubectl = kubectl
        self.env = env
        self.started: dict[int, float] = {}  # iteration n → the deploy's end (the tool's "deployed")
        self.finished: dict[int, float] = {}  # iteration n → kubectl's exit
        self.lock = threading.Lock()

    def on_change(self, state: Any, event: object = None) -> None:
        """Store subscriber: one kubectl per iteration, at its deploy's end."""
        current = state.timeline.current
        deploy = current.phase("deploy") if current is not None else None
        if current is None or deploy is None or deploy.end is None or current.n < 2:
            return
        with self.lock:
            if current.n in self.started:
                return
            self.started[current.n] = deploy.end
        threading.Thread(target=self._run, args=(current.n,), daemon=True).start()

    def _run(self, n: int) -> None:
        subprocess.run(self.kubectl, env=self.env, check=True, capture_output=True, timeout=300)
        self.finished[n] = time.time()


def dev_loop(rounds: int) -> dict[str, Any]:
    """The iteration rounds: devstack's rollout/http ends vs kubectl rollout status, from "deployed"."""
    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext
    from devstack.engine.up import UpRun

    with DemoEnvironment(_settings(), "healthy") as env:
        profile = env.loaded.profile
        kubectl = [
            "kubectl",
            "--kubeconfig",
            env.tools.env["KUBECONFIG"],
            "--context",
            profile.context,
            "-n",
            profile.deploy.namespace,
            "rollout",
            "status",
            "deployment/jetscale-backend",
            "--timeout=300s",
        ]
        timer = RolloutTimer(kubectl, {**env.tools.env, "KUBECACHEDIR": str(env.state_dir / "kubectl-cache")})
        ctx = EngineContext(env.loaded, Store(), env.tools, interactive=True, state_dir=env.state_dir)
        ctx.store.subscribe(timer.on_change)
        run = UpRun(ctx)
        source = env.loaded.root / "demo" / "backend" / "app.py"
        rows: list[dict[str, float]] = []
        try:
            if run.run() != 0:
                raise SystemExit(f"devstack up failed: {[s.error for s in ctx.store.state.steps if s.error]}")
            _wait(lambda: _ended(ctx, 1), "the first iteration")
            for n in range(2, rounds + 2):
                with source.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n# bench_dev_loop round {n}\n")
                iteration = _wait(lambda n=n: _ended(ctx, n), f"iteration {n}")
                _wait(lambda n=n: n in timer.finished, f"kubectl rollout status of iteration {n}")
                if not iteration.ok:
                    raise SystemExit(f"iteration {n} failed: {iteration.error}")
                deployed = timer.started[n]
                rollout, http = iteration.phase("rollout"), iteration.phase("http")
                assert rollout is not None and rollout.end is not None
                assert http is not None and http.end is not None
                rows.append(
                    {
                        "devstack_ready_s": rollout.end - deployed,
                        "devstack_first_200_s": http.end - deployed,
                        "kubectl_rollout_status_s": timer.finished[n] - deployed,
                        "iteration_total_s": iteration.total_seconds or 0.0,
                    }
                )
        finally:
            run.stop()
    medians = {key: round(statistics.median(r[key] for r in rows), 3) for key in rows[0]}
    kubectl_s = medians["kubectl_rollout_status_s"]
    return {
        "rounds": rounds,
        "median_seconds": medians,
        "ratio_ready_vs_kubectl": round(medians["devstack_ready_s"] / kubectl_s, 3),
        "ratio_first_200_vs_kubectl": round(medians["devstack_first_200_s"] / kubectl_s, 3),
        "samples": rows,
    }


def imagepull_fail_fast() -> dict[str, Any]:
    """`up --headless` on the imagepull scenario: seconds to its failure, against the deadline."""
    from devstack.cli.demo_stack import DemoEnvironment

    with DemoEnvironment(_settings(), "imagepull") as env:
        start = time.perf_counter()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "devstack",
                "up",
                "--headless",
                "--json",
                "--timeout",
                str(IMAGEPULL_TIMEOUT),
            ],
            env={**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"},
            cwd=env.loaded.root,
            capture_output=True,
            text=True,
            timeout=IMAGEPULL_TIMEOUT + 60,
            check=False,
        )
        seconds = time.perf_counter() - start
    document = json.loads(result.stdout)
    steps = {step["name"]: step for step in document["steps"]}
    return {
        "exit_code": result.returncode,
        "seconds_to_failure": round(seconds, 2),
        "step_seconds": {name: step["seconds"] for name, step in steps.items() if step["seconds"]},
        "timeout_s": IMAGEPULL_TIMEOUT,
        "ratio_to_timeout": round(seconds / IMAGEPULL_TIMEOUT, 4),
        "failed_step": next(
            ({"name": n, "error": s["error"]} for n, s in steps.items() if s["ok"] is False), None
        ),
    }


def _ended(ctx: Any, n: int) -> Any:
    current = ctx.store.state.timeline.current
    return current if current is not None and current.n == n and not current.running else None


def _wait(predicate: Any, what: str, timeout: float = 180.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-imagepull", action="store_true")
    args = parser.parse_args()
    document: dict[str, Any] = {"dev_loop": dev_loop(args.rounds)}
    if not args.skip_imagepull:
        document["imagepull"] = imagepull_fail_fast()
    report("bench_dev_loop", document)


if __name__ == "__main__":
    main()
