"""`devstack demo --headless` starts, serves, and on Ctrl-C leaves no process, container or file
(deployed by the skaffold stand-in, and with `--tool tilt` by the tilt stand-in)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import free_port, kind_containers, read_lines_until


@pytest.mark.parametrize("tool", ["skaffold", pytest.param("tilt", marks=pytest.mark.slow)])
def test_demo_headless_starts_serves_and_cleans_up_on_ctrl_c(tool: str) -> None:
    frontend, backend = free_port(), free_port()
    env = {
        **os.environ,
        "DEVSTACK_DEMO_FRONTEND_PORT": str(frontend),
        "DEVSTACK_DEMO_BACKEND_PORT": str(backend),
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "devstack", "demo", "--headless", "--tool", tool],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines, ready = read_lines_until(
        demo.stderr, lambda seen: "holds until Ctrl-C" in seen[-1] or "Ctrl-C ends it" in seen[-1]
    )
    try:
        assert ready.wait(300), "".join(lines)
        found = next(
            re.search(r"simulated cluster (\S+) in (\S+)", line)
            for line in lines
            if "simulated cluster" in line
        )
        assert found is not None
        cluster, home = found.group(1), found.group(2)
        assert any(f"with {tool}," in line for line in lines)
        owned = [p for p in psutil.process_iter(["cmdline"]) if home in " ".join(p.info["cmdline"] or [])]
        children = owned + [c for p in owned for c in p.children(recursive=True)]
        assert owned, "the simulated cluster's daemon runs with its state in the demo's home"
        assert any("demo/backend/app.py" in " ".join(c.cmdline()) for c in children), (
            "pods are real processes"
        )
        conn = http.client.HTTPConnection("127.0.0.1", frontend, timeout=10)
        conn.request("GET", "/config.js")
        assert f"http://localhost:{backend}" in conn.getresponse().read().decode()
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=120) == 130
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    time.sleep(0.5)
    survivors = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], [(p.pid, p.cmdline()) for p in survivors]
    leftovers = [p.pid for p in psutil.process_iter(["cmdline"]) if home in " ".join(p.info["cmdline"] or [])]
    assert leftovers == []
    assert kind_containers(cluster) == []
    assert not Path(home).exists()
    assert demo.stdout is not None and "ok: the stack is up and healthy" in demo.stdout.read()
