"""`devstack --help`, `--version` and `version` start-up time as a ratio to `python -c pass`, side by side.

These three only print, and are answered without importing click (`devstack/entry.py`; goal: at
most 3.5x `python -c pass`). `devstack status --help` goes through click and the group's start-up
(settings, exit handlers, the janitor's sweep of stale demos and credential folders, here with
nothing to remove): reported for scale.

Run: `make bench` or `.venv/bin/python -m benchmarks.bench_cli_startup [--rounds N]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks.common import compile_product, interleaved, median_ms, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    compile_product()  # bytecode written, as an installed devstack has it

    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], check=True, capture_output=True)

    timings = interleaved(
        {
            "python -c pass": lambda: run("-c", "pass"),
            "devstack --help": lambda: run("-m", "devstack", "--help"),
            "devstack --version": lambda: run("-m", "devstack", "--version"),
            "devstack version": lambda: run("-m", "devstack", "version"),
            "devstack status --help": lambda: run("-m", "devstack", "status", "--help"),
        },
        rounds,
    )
    base = median_ms(timings["python -c pass"])
    report(
        "cli_startup",
        {
            "rounds": rounds,
            "median_ms": {name: median_ms(samples) for name, samples in timings.items()},
            "ratio_help_to_python": round(median_ms(timings["devstack --help"]) / base, 2),
            "ratio_version_to_python": round(median_ms(timings["devstack --version"]) / base, 2),
            "ratio_version_command_to_python": round(median_ms(timings["devstack version"]) / base, 2),
            "ratio_click_start_to_python": round(median_ms(timings["devstack status --help"]) / base, 2),
            "goal": 3.5,
        },
    )


if __name__ == "__main__":
    main()
