"""`make test-real` starts here: it refuses to run unless this machine has what the real-world suite
needs, and says what is missing.

The suite drives the real `kind`, `skaffold`, `kubectl`, `helm` and Docker daemon (the simulator's
stand-ins are refused), so it never runs in CI. What it needs is exactly what `devstack doctor -p
ci-kind` checks — so that is what runs here, with the simulator's tools not allowed.

Exit codes: 0 ready; 2 in CI; 3 something is missing (each missing piece on its own line).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def main() -> int:
    """Check, print what is missing, return the exit code."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        print(
            "make test-real: refusing to run in CI (CI=true): the real-world suite needs a developer's "
            "Docker, kind and skaffold; CI runs the simulated suite (make test).",
            file=sys.stderr,
        )
        return 2
    env = {k: v for k, v in os.environ.items() if k != "DEVSTACK_SIM_TOOLS"}
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "-p", "ci-kind", "doctor", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        checks = json.loads(done.stdout)["checks"]
    except (ValueError, KeyError, TypeError):
        print(
            f"make test-real: `devstack doctor` did not answer: {done.stderr.strip()[:500]}", file=sys.stderr
        )
        return 3
    failed = [c for c in checks if c.get("status") == "fail"]
    if failed:
        print("make test-real: refusing to start, this machine is missing:", file=sys.stderr)
        for check in failed:
            fix = f" — {check['fix']}" if check.get("fix") else ""
            print(f"  - {check['name']}: {check['detail']}{fix}", file=sys.stderr)
        return 3
    tools = ", ".join(
        f"{c['name'][5:]} {c.get('data', {}).get('version', '')}".strip()
        for c in checks
        if c["name"].startswith("tool:") and c.get("status") == "ok"
    )
    print(f"make test-real: ready ({tools})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
