"""`exec` through devstack's WebSocket client vs the real `kubectl exec`, on the same simulator pod.

Two measurements, each run interleaved with its baseline:
- round trip: `exec POD -- true` in-process (`sources/execws.run_exec`) vs `kubectl exec POD -- true`
  (kubectl's process start and discovery included, as a user pays it), and `devstack exec` as a
  command vs `kubectl exec` (both processes);
- throughput: `exec POD -- head -c N /dev/zero` read to the end, MB/s (devstack in-process vs kubectl).

Run: `.venv/bin/python -m benchmarks.bench_exec [--rounds 10] [--megabytes 64]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import interleaved, median_ms, report

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    from devstack.sources.execws import ExecCall, ExecIO, run_exec
    from devstack.sources.kube import KubeTarget
    from devstack_sim.background import BackgroundSimulator
    from devstack_sim.cluster import ImageTable
    from devstack_sim.resources import PODS

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--megabytes", type=int, default=64)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-exec-"))
    kubeconfig = home / "kubeconfig"
    images = home / "images.yaml"
    images.write_text(
        f'images:\n  bench/sleep:\n    command: ["{sys.executable}", "-c", "import time; time.sleep(1e6)"]\n'
    )
    ImageTable.load(images)  # fail early on a bad table
    sim = BackgroundSimulator("bench", home / "sim", kubeconfig, images=images).start()
    env = {**os.environ, "KUBECONFIG": str(kubeconfig), "KUBECACHEDIR": str(home / "cache")}
    try:
        sim.call(
            lambda: sim.simulator.store.create(
                PODS,
                {
                    "metadata": {"name": "p", "namespace": "default"},
                    "spec": {"containers": [{"name": "c", "image": "bench/sleep"}]},
                },
            )
        )
        target = KubeTarget(sim.context, "default", str(kubeconfig))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            obj = sim.call(lambda: sim.simulator.store.get(PODS, "default", "p")) or {}
            if (obj.get("status") or {}).get("phase") == "Running":
                break
            time.sleep(0.1)
        kubectl = [
            "kubectl",
            "--kubeconfig",
            str(kubeconfig),
            "--context",
            sim.context,
            "-n",
            "default",
            "exec",
            "p",
            "--",
        ]
        received = [0]
        sink = ExecIO(
            write_stdout=lambda data: received.__setitem__(0, received[0] + len(data)),
            write_stderr=lambda _: None,
        )

        def in_process(*command: str) -> None:
            outcome = run_exec(target, ExecCall("p", "c", command), sink)
            assert outcome.exit_code == 0, outcome

        def by_kubectl(*command: str) -> None:
            subprocess.run([*kubectl, *command], env=env, check=True, stdout=subprocess.DEVNULL, timeout=120)

        def by_devstack_command() -> None:
            profile = home / "profile.yaml"
            if not profile.exists():
                profile.write_text(_profile(sim.context))
            subprocess.run(
                [sys.executable, "-m", "devstack", "-p", str(profile), "exec", "p", "--", "true"],
                env=env, cwd=REPO, check=True, timeout=120,
            )  # fmt: skip

        latency = interleaved(
            {
                "devstack_in_process": lambda: in_process("true"),
                "kubectl_exec": lambda: by_kubectl("true"),
                "devstack_exec_command": by_devstack_command,
            },
            args.rounds,
        )
        size = args.megabytes * 1024 * 1024
        stream = ("head", "-c", str(size), "/dev/zero")
        throughput = interleaved(
            {"devstack_in_process": lambda: in_process(*stream), "kubectl_exec": lambda: by_kubectl(*stream)},
            3,
        )
    finally:
        sim.stop()
    mb = size / 1024 / 1024
    document = {
        "round_trip_ms": {name: median_ms(samples) for name, samples in latency.items()},
        "round_trip_ratio_devstack_in_process_vs_kubectl": round(
            median_ms(latency["devstack_in_process"]) / median_ms(latency["kubectl_exec"]), 3
        ),
        "round_trip_ratio_devstack_command_vs_kubectl": round(
            median_ms(latency["devstack_exec_command"]) / median_ms(latency["kubectl_exec"]), 3
        ),
        "throughput_mb_per_s": {
            name: round(mb / (median_ms(samples) / 1000), 1) for name, samples in throughput.items()
        },
        "throughput_ratio_devstack_vs_kubectl": round(
            median_ms(throughput["kubectl_exec"]) / median_ms(throughput["devstack_in_process"]), 3
        ),
        "rounds": args.rounds,
        "megabytes": args.megabytes,
    }
    report("bench_exec", document)


def _profile(context: str) -> str:
    """The repo's local-kind profile on the simulator's context as an `existing` cluster (the guard
    allows only it), in the pod's namespace."""
    import yaml

    profile = yaml.safe_load((REPO / "profiles" / "local-kind.yaml").read_text())
    profile["cluster"] = {"provider": "existing", "name": "bench", "context": context}
    profile["deploy"]["namespace"] = "default"
    profile["safety"] = {"allowed_contexts": [context]}
    return yaml.safe_dump(profile)


if __name__ == "__main__":
    main()
