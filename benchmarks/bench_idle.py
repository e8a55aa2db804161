"""What the terminal app costs when nothing changes, next to `kubectl get pods -w` on the same cluster.

1. The healthy demo stack: `devstack demo` in a pseudo-terminal of 160x50 (the real command: the
   simulated cluster, skaffold dev, forwards, watches, the app). Once both forwards answer and the
   app has settled, its CPU (user + system, % of one core) and RSS are sampled for `--seconds`,
   alongside `kubectl get pods -n jetscale -w` on the demo's cluster, started at the same time.
2. 5,000 unchanging pods: the simulator in its own process with a Deployment of 5,000 processless
   pods; the app (watching the namespace, no deploy) in a pseudo-terminal, and
   `kubectl get pods -n jetscale -w` beside it, measured the same way once both have listed.

Each is sampled twice: for 20 s right after the app is ready, and for `--seconds` once the stack
has been left alone for 2 minutes more (the "settled" figures, which the goals are about: past 2
minutes every age moves once a minute, where younger ones tick every second). Goals: the app at
most 1 % of one core and 100 MiB RSS on the demo stack; at most 3 % at 5,000 unchanging pods.
Only the app's own process is measured (the simulator and the pods are separate
processes, as are kubectl's).

Run: `.venv/bin/python -m benchmarks.bench_idle [--seconds 60] [--pods 5000]`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import free_port, report
from benchmarks.simprocess import NAMESPACE, REPO, served_cluster

YOUNG = 20.0  # seconds sampled right after the app is ready (ages below 2 minutes tick every second)
SETTLE = 120.0  # then the stack is left alone this long (every age past 2 minutes), and sampled again
WATCH_APP = """
import os, sys
from pathlib import Path
from devstack.engine.context import EngineContext
from devstack.engine.session import Session
from devstack.profile import LoadedProfile, load_profile
from devstack.sources.tools import ToolEnv
from devstack.tui.app import DevstackApp

repo = Path(sys.argv[1])
path = repo / "profiles" / "local-kind.yaml"
loaded = LoadedProfile(load_profile(path), path, repo)
tools = ToolEnv(dict(os.environ), allow_sim=True)  # a simulated cluster: no node container
session = Session(build=lambda store: EngineContext(loaded, store, tools), check_cluster=False)
try:
    DevstackApp(session, watch=True, tour=False).run()
finally:
    session.close()
"""


class Terminal:
    """A process in a pseudo-terminal of 160x50 whose output is read (and kept) all along."""

    def __init__(self, args: list[str], env: dict[str, str]):
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
        self.process = subprocess.Popen(
            args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO, start_new_session=True
        )
        os.close(follower)
        self._leader = leader
        self.output = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            ready, _, _ = select.select([self._leader], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(self._leader, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.output = (self.output + chunk)[-200_000:]
            elif self.process.poll() is not None:
                return

    def stop(self) -> None:
        """SIGTERM (the app cleans up), then wait."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)
        os.close(self._leader)


def measure(pids: dict[str, int], seconds: float) -> dict[str, Any]:
    """CPU (% of one core, user + system) and RSS (MiB: max and last) of each process over `seconds`."""
    import psutil

    processes = {name: psutil.Process(pid) for name, pid in pids.items()}
    start = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
    rss: dict[str, list[int]] = {name: [] for name in processes}
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        for name, process in processes.items():
            rss[name].append(process.memory_info().rss)
        time.sleep(1.0)
    wall = time.monotonic() - began
    return {
        name: {
            "cpu_percent_of_one_core": round((sum(process.cpu_times()[:2]) - start[name]) / wall * 100, 2),
            "rss_mib_max": round(max(rss[name]) / 2**20, 1),
            "rss_mib_last": round(rss[name][-1] / 2**20, 1),
        }
        for name, process in processes.items()
    }


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.5)


def answers(port: int, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def demo_stack(seconds: float) -> dict[str, Any]:
    """The healthy demo: `devstack demo` and `kubectl get pods -w` on its cluster."""
    home = tempfile.mkdtemp(prefix="bench-idle-home-")
    frontend, backend = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(HOME=home, XDG_STATE_HOME=f"{home}/.local/state", TERM="xterm-256color")
    env.update(DEVSTACK_DEMO_FRONTEND_PORT=str(frontend), DEVSTACK_DEMO_BACKEND_PORT=str(backend))
    from devstack.tui.tour import mark_tour

    mark_tour(Path(home) / ".local" / "state" / "devstack", True, "demo")  # the dashboard, not the tour
    app = Terminal([sys.executable, "-m", "devstack", "demo"], env)
    watcher: subprocess.Popen[bytes] | None = None
    try:
        wait_until(
            lambda: answers(frontend, "/") and answers(backend, "/healthz"), 240, "demo forwards answering"
        )
        kubeconfig = next(Path(home, ".local/state/devstack/demos").glob("devstack-demo-*/kubeconfig"))
        watcher = subprocess.Popen(
            ["kubectl", "--kubeconfig", str(kubeconfig), "get", "pods", "-n", NAMESPACE, "-w"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(SETTLE)
        return measure(
            {"devstack demo (the app)": app.process.pid, "kubectl get pods -w": watcher.pid}, seconds
        )
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait(timeout=10)
        app.stop()


def many_pods(pods: int, seconds: float) -> dict[str, Any]:
    """`pods` unchanging pods: the app watching them and `kubectl get pods -w`."""
    with served_cluster(pods) as cluster:
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
        home = tempfile.mkdtemp(prefix="bench-idle-home-")
        env.update(KUBECONFIG=cluster.kubeconfig, HOME=home, XDG_STATE_HOME=f"{home}/.local/state")
        env.update(TERM="xterm-256color")
        app = Terminal([sys.executable, "-c", WATCH_APP, str(REPO)], env)
        watcher = subprocess.Popen(
            cluster.kubectl("get", "pods", "-n", NAMESPACE, "-w"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_until(lambda: f"{pods}".encode() in app.output, 180, f"the app showing {pods} pods")
            time.sleep(SETTLE)
            result = measure(
                {"devstack (the app)": app.process.pid, "kubectl get pods -w": watcher.pid}, seconds
            )
        finally:
            watcher.terminate()
            watcher.wait(timeout=10)
            app.stop()
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pods", type=int, default=5000)
    args = parser.parse_args()
    demo = demo_stack(args.seconds)
    scaled = many_pods(args.pods, args.seconds)
    report(
        "idle",
        {
            "seconds": args.seconds,
            "demo_stack": demo,
            f"{args.pods}_unchanging_pods": scaled,
            "goals": {
                "demo_stack": "the app <= 1 % of one core and <= 100 MiB RSS",
                "unchanging_pods": "the app <= 3 % of one core",
            },
        },
    )


if __name__ == "__main__":
    main()
