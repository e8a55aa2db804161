"""How long after a signal a `devstack demo --headless` is gone: SIGKILL (reaper) vs Ctrl-C (own exit).

Each round starts the demo twice, waits until it holds, then sends SIGINT to one and SIGKILL to the
other, timing until no process carries the demo's marker, its folder is gone and Docker holds no node
container of its cluster. The ratio is SIGKILL's time over Ctrl-C's (interleaved, same machine load).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks.common import free_port, report
from devstack.sources.janitor import DEMO_MARKER


def _containers(cluster: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=io.x-k8s.kind.cluster={cluster}"],
        capture_output=True,
        text=True,
    )
    return out.stdout.split() if out.returncode == 0 else []


def _left(home: str, cluster: str) -> bool:
    for process in psutil.process_iter(["environ"]):
        if (process.info.get("environ") or {}).get(DEMO_MARKER) == home:
            try:
                if process.status() != psutil.STATUS_ZOMBIE:
                    return True
            except psutil.NoSuchProcess:
                continue
    return Path(home).exists() or bool(_containers(cluster))


def teardown_seconds(env: dict[str, str], sig: int) -> float:
    """Start a demo, wait until it holds, send `sig`; seconds until nothing of it is left."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "devstack", "demo", "--headless"],
        env={
            **env,
            "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
            "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stderr is not None
    where = None
    for line in demo.stderr:
        where = where or re.search(r"simulated cluster (\S+) in (\S+)", line)
        if "holds until Ctrl-C" in line or "Ctrl-C ends it" in line:
            break
    assert where is not None, "the demo did not start"
    threading.Thread(target=demo.stderr.read, daemon=True).start()
    cluster, home = where.group(1), where.group(2)
    started = time.perf_counter()
    demo.send_signal(sig)
    demo.wait(120)
    while _left(home, cluster):
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"the demo in {home} is still there after 120 s")
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    home = tempfile.mkdtemp(prefix="bench-teardown-home-")
    env = {
        **os.environ,
        "HOME": home,
        "XDG_STATE_HOME": f"{home}/.local/state",
        "KUBECONFIG": f"{home}/kubeconfig",
    }
    samples: dict[str, list[float]] = {"ctrl-c (own exit)": [], "sigkill (reaper)": []}
    for _ in range(rounds):
        samples["ctrl-c (own exit)"].append(teardown_seconds(env, signal.SIGINT))
        samples["sigkill (reaper)"].append(teardown_seconds(env, signal.SIGKILL))
    medians = {name: round(statistics.median(values), 2) for name, values in samples.items()}
    report(
        "demo_teardown",
        {
            "rounds": rounds,
            "median_seconds_until_nothing_left": medians,
            "max_seconds": {name: round(max(values), 2) for name, values in samples.items()},
            "ratio_sigkill_to_ctrl_c": round(medians["sigkill (reaper)"] / medians["ctrl-c (own exit)"], 3),
        },
    )


if __name__ == "__main__":
    main()
