"""A hung API server (its process stopped with SIGSTOP: connections are accepted, nothing answers)
is reported as unreachable after a bounded time by the watches, one-shot calls and `status`.

The simulator runs in its own process (`python -m devstack_sim serve`) so it can be stopped. The
timeouts below are "no hang" guards, not measurements.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from helpers import wait_for

from devstack.core import events as ev
from devstack.exitcodes import UNHEALTHY
from devstack.sources.kube import ClusterWatch, KubeTarget
from devstack.sources.kubeapi import KubeApi

pytestmark = pytest.mark.slow
NAME = "hung"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "devstack_sim",
            "serve",
            "--name",
            NAME,
            "--kubeconfig",
            str(kubeconfig),
            "--no-runtime",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and "serving" in process.stdout.readline()
        yield process, kubeconfig
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=30)


def call_in_thread(call: object, guard: float = 60) -> BaseException | None:
    """Run `call()` in a thread; the error it ended with (None: it returned). Fails on a hang."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()  # type: ignore[operator]
            outcome.append(None)
        except Exception as err:  # noqa: BLE001 - the test inspects it
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(guard)
    assert outcome, f"the call did not return within {guard}s: it hangs"
    return outcome[0]


def test_watches_and_calls_report_a_stopped_server_and_its_return(
    server: tuple[subprocess.Popen[str], Path],
) -> None:
    process, kubeconfig = server
    target = KubeTarget(f"kind-{NAME}", "default", str(kubeconfig))
    statuses: list[ev.ApiStatus] = []
    watch = ClusterWatch(target, lambda e: statuses.append(e) if isinstance(e, ev.ApiStatus) else None)
    watch.start()
    api = KubeApi(target)
    try:
        wait_for(lambda: all(w.resource_version is not None for w in watch.watchers), what="the first lists")
        assert call_in_thread(api.server_version) is None
        os.kill(process.pid, signal.SIGSTOP)
        wait_for(lambda: statuses and not statuses[-1].reachable, timeout=60, what="API unreachable")
        assert "no answer within" in statuses[-1].error, statuses[-1]
        assert call_in_thread(api.server_version) is not None
        assert call_in_thread(lambda: api.list_raw("pods")) is not None
        os.kill(process.pid, signal.SIGCONT)
        wait_for(lambda: statuses[-1].reachable, timeout=60, what="API reachable again")
        assert call_in_thread(api.server_version) is None
    finally:
        os.kill(process.pid, signal.SIGCONT)
        api.close()
        watch.stop()


def test_status_of_a_stopped_server_is_unhealthy_not_a_hang(
    server: tuple[subprocess.Popen[str], Path], stack_copy: Path
) -> None:
    process, kubeconfig = server
    profile = yaml.safe_load((stack_copy / "profiles" / "local-kind.yaml").read_text())
    profile["cluster"] = {"provider": "existing", "context": f"kind-{NAME}"}
    profile["safety"] = {"allowed_contexts": [f"kind-{NAME}"]}
    profile["deploy"]["namespace"] = "default"
    (stack_copy / "profiles" / "hung.yaml").write_text(yaml.safe_dump(profile))
    os.kill(process.pid, signal.SIGSTOP)
    out = subprocess.run(
        [sys.executable, "-m", "devstack", "-p", "hung", "status"],
        capture_output=True,
        text=True,
        cwd=stack_copy,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        timeout=120,
    )
    assert out.returncode == UNHEALTHY, out.stderr
    assert f"cannot reach kind-{NAME}" in out.stderr and "Traceback" not in out.stderr
