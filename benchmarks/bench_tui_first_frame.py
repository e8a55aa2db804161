"""First frame of `devstack demo` as a ratio to a bare Textual app with one DataTable (goal <= 1.15).

Both run as fresh processes in a pseudo-terminal of 160x50, interleaved, in the same run (the goal
holds for the median and for the minimum). The time
is from spawning the process to the first screen output holding the app's content (the bare app's
column label; devstack's Pods pane title). devstack builds the demo environment, loads the profile
and imports the kubernetes client after that frame; each devstack run then gets SIGTERM and must
exit and remove its demo environment (checked) before the next round. The demo's walkthrough
is marked as seen (as after a first launch), so the first frame is the dashboard's.

Run: `.venv/bin/python -m benchmarks.bench_tui_first_frame [--rounds N]`.
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
import time
from pathlib import Path

from benchmarks.common import compile_product, free_port, median_ms, report

REPO = Path(__file__).resolve().parents[1]
SETTLE = 0.5  # seconds between runs, so one run's exit does not slow the next one's start
BARE_APP = """
from textual.app import App
from textual.widgets import DataTable

class Bare(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_columns("BARE-MARKER", "READY", "STATUS")
        table.add_row("pod-a", "1/1", "Running")

Bare().run()
"""


def first_frame(
    args: list[str], marker: bytes, env: dict[str, str], timeout: float = 60
) -> tuple[float, int]:
    """Seconds from spawn until `marker` is on the terminal; returns (seconds, pid) (still running)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(
        args, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=REPO, start_new_session=True
    )
    os.close(follower)
    seen = b""
    deadline = start + timeout
    try:
        while marker not in seen:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"no first frame from {args}: {seen[-300:]!r}")
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                seen = (seen + os.read(leader, 65536))[-200_000:]
        elapsed = time.perf_counter() - start
    except BaseException:
        process.kill()
        raise
    _finish(process, leader)
    return elapsed, process.pid


def _finish(process: subprocess.Popen[bytes], leader: int) -> None:
    """SIGTERM, keep reading the terminal (so the app is never blocked on output), reap."""
    process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                os.read(leader, 65536)
            except OSError:
                break
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    os.close(leader)


def leftovers(home: str, before: set[str]) -> list[str]:
    """Demo environments (in the state dir under `home`) that appeared since `before` and were not removed."""
    demos = Path(home) / ".local" / "state" / "devstack" / "demos"
    return sorted(str(p) for p in demos.glob("devstack-demo-*") if str(p) not in before)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    compile_product()  # bytecode written, as an installed devstack has it
    home = tempfile.mkdtemp(prefix="bench-tui-home-")
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(HOME=home, XDG_STATE_HOME=f"{home}/.local/state", TERM="xterm-256color")
    env.update(DEVSTACK_DEMO_FRONTEND_PORT=str(free_port()), DEVSTACK_DEMO_BACKEND_PORT=str(free_port()))
    from devstack.tui.tour import mark_tour

    mark_tour(Path(home) / ".local" / "state" / "devstack", True, "demo")  # not a first launch
    existing = set(leftovers(home, set()))
    bare, demo = [], []
    first_frame([sys.executable, "-c", BARE_APP], b"BARE-MARKER", env)  # warm the file cache
    for _ in range(rounds):
        time.sleep(SETTLE)
        bare.append(first_frame([sys.executable, "-c", BARE_APP], b"BARE-MARKER", env)[0])
        time.sleep(SETTLE)
        demo.append(first_frame([sys.executable, "-m", "devstack", "demo"], b"Pods", env)[0])
    left = leftovers(home, existing)
    report(
        "tui_first_frame",
        {
            "rounds": rounds,
            "median_ms": {"bare Textual app + DataTable": median_ms(bare), "devstack demo": median_ms(demo)},
            "min_ms": {
                "bare Textual app + DataTable": round(min(bare) * 1000, 2),
                "devstack demo": round(min(demo) * 1000, 2),
            },
            "ratio_demo_to_bare": round(median_ms(demo) / median_ms(bare), 3),
            "ratio_of_minimums": round(min(demo) / min(bare), 3),
            "goal": 1.15,
            "demo_environments_left_behind": left,
        },
    )


if __name__ == "__main__":
    main()
