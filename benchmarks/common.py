"""Helpers for benchmarks: interleaved runs, medians, ratios, a results file."""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def scale_arguments(rate: float) -> argparse.Namespace:
    """The command line of a scale benchmark: a scaled and a baseline pod count, a change rate, a duration."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--baseline-pods", type=int, default=50)
    parser.add_argument("--rate", type=float, default=rate)
    parser.add_argument("--seconds", type=float, default=20.0)
    return parser.parse_args()


def compile_product() -> None:
    """Write the bytecode of devstack and its simulator, as installing a package does.

    With `PYTHONDONTWRITEBYTECODE=1` (set on this machine) an editable checkout never gets its
    `__pycache__`, so every start would compile devstack's modules from source (~70 ms of the app's
    first frame) where the peers (textual, kubectl) are installed, compiled code.
    """
    import compileall
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for package in ("devstack", "devstack_sim"):
        compileall.compile_dir(root / package, quiet=1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, list[float]]:
    """Time each candidate once per round, alternating, so machine noise hits all alike."""
    timings: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    return timings


def median_ms(samples: list[float]) -> float:
    """Median of seconds, in milliseconds."""
    return round(statistics.median(samples) * 1000, 2)


def report(name: str, document: dict[str, object]) -> None:
    """Print the result and keep it in benchmarks/results/NAME.json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2))
    print(json.dumps({name: document}, indent=2))


def demo_settings_on_free_ports() -> Any:
    """devstack's Settings from this environment, with the demo's ports moved to free ones."""
    import os

    from devstack.settings import Settings

    return Settings.from_environ(
        {
            **os.environ,
            "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
            "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
        }
    )


def run_measured(
    args: list[str], env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[float, int, int]:
    """Run a command to its end: (wall seconds, peak RSS in bytes, exit code), output discarded."""
    import os
    import subprocess

    start = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{args} exited {process.returncode}: {errors[-500:]!r}")
    return elapsed, usage.ru_maxrss * 1024, process.returncode
