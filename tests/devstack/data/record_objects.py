"""Record the API objects of every kind devstack watches, from demo stacks on the simulator.

Writes `recorded_objects.json` beside this file: for each scenario (healthy, crashloop, imagepull,
bad-api-url), the raw list of pods, deployments, services, endpointslices and events of the
`jetscale` namespace, as the API server sends them. The decoder's correctness tests
(`tests/devstack/test_kubedecode.py`) compare the typed decoder with the old dict path on them.

Run: `.venv/bin/python tests/devstack/data/record_objects.py` (a minute or two; Ctrl-C safe).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PATHS = {
    "pods": "/api/v1/namespaces/jetscale/pods",
    "deployments": "/apis/apps/v1/namespaces/jetscale/deployments",
    "services": "/api/v1/namespaces/jetscale/services",
    "endpointslices": "/apis/discovery.k8s.io/v1/namespaces/jetscale/endpointslices",
    "events": "/api/v1/namespaces/jetscale/events",
}
SCENARIOS = ("healthy", "crashloop", "imagepull", "bad-api-url")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def record(scenario: str) -> dict[str, list[dict[str, Any]]]:
    """Deploy the demo stack of `scenario` and list every kind once things have happened."""
    from devstack.cli.demo_stack import DemoEnvironment
    from devstack.settings import Settings

    ports = {"DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()), "DEVSTACK_DEMO_BACKEND_PORT": str(free_port())}
    settings = Settings.from_environ({**os.environ, **ports})
    with DemoEnvironment(settings, scenario) as env:
        child_env = {**env.tools.child_env(), "DEVSTACK_SIM_TOOLS": "1"}
        subprocess.run(
            [sys.executable, "-m", "devstack", "up", "--headless", "--json", "--timeout", "60"],
            env=child_env,
            cwd=str(env.loaded.root),
            capture_output=True,
            check=False,
        )
        time.sleep(10)  # restarts, back-offs and their events
        kubeconfig = env.tools.env["KUBECONFIG"]
        context = env.loaded.profile.context
        lists = {}
        for kind, path in PATHS.items():
            out = subprocess.run(
                ["kubectl", "--kubeconfig", kubeconfig, "--context", context, "get", "--raw", path],
                env=child_env,
                capture_output=True,
                check=True,
            ).stdout
            lists[kind] = json.loads(out)["items"]
        return lists


def main() -> None:
    recorded = {scenario: record(scenario) for scenario in SCENARIOS}
    out = Path(__file__).with_name("recorded_objects.json")
    out.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    counts = {s: {k: len(v) for k, v in lists.items()} for s, lists in recorded.items()}
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
