"""`devstack --help` start-up time as a ratio to `python -c pass`, run side by side.

`devstack version` also runs the group's start-up (settings, exit handlers, the janitor's sweep of
stale demos and credential folders, here with nothing to remove): compared with `--version`, which
stops before it.

Run: `make bench` or `.venv/bin/python -m benchmarks.bench_cli_startup [--rounds N]`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from benchmarks.common import interleaved, median_ms, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds

    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], check=True, capture_output=True)

    timings = interleaved(
        {
            "python -c pass": lambda: run("-c", "pass"),
            "devstack --help": lambda: run("-m", "devstack", "--help"),
            "devstack --version": lambda: run("-m", "devstack", "--version"),
            "devstack version": lambda: run("-m", "devstack", "version"),
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
            "ratio_version_command_to_flag": round(
                median_ms(timings["devstack version"]) / median_ms(timings["devstack --version"]), 3
            ),
        },
    )


if __name__ == "__main__":
    main()
