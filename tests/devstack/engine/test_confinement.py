"""Only the allowed context is reachable, by devstack and by every process it starts.

One demo environment (simulated kind cluster, the kind/skaffold stand-ins, the real kubectl and
helm) is shared by this module's tests. Its kubeconfig also holds a non-allowed `prod` context,
made the CURRENT context, whose server is a listener on 127.0.0.1 counting connections and whose
user runs an exec credential plugin that logs each run. The real kubectl on the build machines is
a version dispatcher that contacts the current context's server even for `kubectl version
--client` (TOOLS.md §7), so the doctor's version probe alone used to reach `prod`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from helpers import free_port, read_lines_until, require

from devstack.cli.demo_stack import DemoEnvironment
from devstack.exitcodes import INTERRUPTED, OK, USAGE
from devstack.settings import Settings
from devstack.sources import kind
from devstack_sim.standins.record import read_invocations

pytestmark = pytest.mark.slow
PROD = "prod"


class Listener:
    """A TCP listener that counts the connections it accepts (and closes them)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.address = f"https://{host}:{self.sock.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@dataclass
class Stack:
    env: DemoEnvironment
    kubeconfig: Path
    listener: Listener
    plugin_log: Path
    cli_env: dict[str, str] = field(default_factory=dict)

    def devstack(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "devstack", *args],
            capture_output=True,
            text=True,
            env=self.cli_env,
            cwd=self.env.loaded.root,
            timeout=timeout,
        )

    def config(self) -> dict:
        return yaml.safe_load(self.kubeconfig.read_text())

    def make_prod_current(self) -> None:
        config = self.config()
        config["current-context"] = PROD
        self.kubeconfig.write_text(yaml.safe_dump(config))

    def invocations_with_env(self, tool: str) -> list[dict]:
        home = Path(self.env.tools.env["DEVSTACK_SIM_HOME"])
        return [e for e in read_invocations(home) if e["tool"] == tool]

    def invocations(self, tool: str, *words: str) -> list[list[str]]:
        return [
            e["argv"] for e in self.invocations_with_env(tool) if all(word in e["argv"] for word in words)
        ]

    @property
    def private_folders(self) -> list[Path]:
        """The private folders (credential files, the single-context kubeconfig) devstacks left."""
        root = Settings.from_environ(self.cli_env).state_dir / "private"
        return sorted(root.iterdir()) if root.is_dir() else []


def add_prod(kubeconfig: Path, server: str, plugin: Path) -> None:
    config = yaml.safe_load(kubeconfig.read_text()) if kubeconfig.exists() else None
    config = config or {"apiVersion": "v1", "kind": "Config", "clusters": [], "contexts": [], "users": []}
    config["clusters"].append({"name": PROD, "cluster": {"server": server, "insecure-skip-tls-verify": True}})
    exec_plugin = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": str(plugin),
        "interactiveMode": "Never",
    }
    config["users"].append({"name": PROD, "user": {"exec": exec_plugin}})
    config["contexts"].append({"name": PROD, "context": {"cluster": PROD, "user": PROD}})
    config["current-context"] = PROD
    kubeconfig.write_text(yaml.safe_dump(config))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp("confined-home")
    environ = {
        **os.environ,
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "DEVSTACK_DEMO_FRONTEND_PORT": str(free_port()),
        "DEVSTACK_DEMO_BACKEND_PORT": str(free_port()),
    }
    listener = Listener()
    plugin_log = home / "plugin.log"
    plugin = home / "prod-credentials"
    plugin.write_text(
        f"#!/bin/sh\necho ran >> {plugin_log}\n"
        'echo \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",'
        '"status":{"token":"prod-token"}}\'\n'
    )
    plugin.chmod(0o755)
    with DemoEnvironment(Settings.from_environ(environ)) as env:
        kubeconfig = Path(env.tools.env["KUBECONFIG"])
        add_prod(kubeconfig, listener.address, plugin)
        cli_env = {**env.tools.env, "DEVSTACK_SIM_TOOLS": "1"}
        yield Stack(env, kubeconfig, listener, plugin_log, cli_env)
    listener.close()


def test_the_detectors_see_a_tool_that_uses_the_current_context(stack: Stack) -> None:
    """The listener and the plugin log do notice a client of the current context (control)."""
    kubectl = shutil.which("kubectl")
    require(kubectl is not None, "kubectl on PATH (the control needs a real client of the current context)")
    assert kubectl is not None
    before = stack.listener.connections
    subprocess.run(
        [kubectl, "--request-timeout=3s", "get", "namespaces"],
        env={**stack.cli_env, "KUBECONFIG": str(stack.kubeconfig)},
        capture_output=True,
        timeout=60,
    )
    assert stack.listener.connections > before
    assert stack.plugin_log.exists()
    stack.plugin_log.unlink()
    stack.listener.connections = 0


def test_no_command_reaches_the_current_context_or_runs_its_exec_plugin(stack: Stack) -> None:
    stack.make_prod_current()
    up = stack.devstack("up", "--headless", "--json")
    assert up.returncode == OK, up.stdout + up.stderr
    skaffold = next(e for e in stack.invocations_with_env("skaffold") if "run" in e["argv"])
    argv = skaffold["argv"]
    given = argv[argv.index("--kubeconfig") + 1]
    assert given == skaffold["kubeconfig_env"] != str(stack.kubeconfig), "a private copy, flag and env"
    assert argv[argv.index("--kube-context") + 1] == stack.env.loaded.profile.context
    for entry in stack.invocations_with_env("kind"):  # kind needs no context: it gets none
        assert entry["kubeconfig_env"] != str(stack.kubeconfig), entry
    stack.make_prod_current()  # kind create made its context current; devstack must not care
    doctor = stack.devstack("doctor", "--json")
    assert json.loads(doctor.stdout)["checks"], doctor.stderr
    status = stack.devstack("status", "--json")
    assert status.returncode == OK, status.stderr
    check = stack.devstack("check", "--json")
    assert check.returncode == OK, check.stdout + check.stderr
    report = stack.devstack("report")
    assert report.returncode == OK and "## Logs" in report.stdout, report.stderr
    forward = subprocess.Popen(
        [sys.executable, "-m", "devstack", "forward"],
        env=stack.cli_env,
        cwd=stack.env.loaded.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, ready = read_lines_until(forward.stdout, lambda seen: sum(" ready " in s for s in seen) >= 2)
    try:
        assert ready.wait(60), "".join(lines)
        forward.send_signal(signal.SIGINT)
        assert forward.wait(timeout=30) == INTERRUPTED
    finally:
        if forward.poll() is None:
            forward.kill()
            forward.wait()
    down = stack.devstack("down")
    assert down.returncode == OK, down.stderr
    assert stack.invocations("skaffold", "delete"), "down ran skaffold delete"
    assert stack.config()["current-context"] == PROD
    assert stack.listener.connections == 0, "a process devstack started contacted the current context"
    assert not stack.plugin_log.exists(), "the current context's exec plugin ran"
    assert not Path(given).exists(), "the private copy goes when devstack exits"
    assert stack.private_folders == [], "every private folder is removed when its devstack exits"


def forge(stack: Stack, server: str) -> str:
    """Point the kind context's cluster at `server`; returns the original kubeconfig text."""
    original = stack.kubeconfig.read_text()
    config = stack.config()
    name = stack.env.loaded.profile.context
    cluster = next(c for c in config["clusters"] if c["name"] == name)
    cluster["cluster"]["server"] = server
    stack.kubeconfig.write_text(yaml.safe_dump(config))
    return original


def cluster_exists(stack: Stack) -> None:
    name = stack.env.loaded.profile.cluster.name
    if name not in kind.clusters(stack.env.tools):
        config = stack.env.loaded.resolve(str(stack.env.loaded.profile.cluster.kind_config))
        kind.create(stack.env.tools, name, config, str(stack.kubeconfig), lambda line: None)


@pytest.mark.parametrize("where", ["127.0.0.2", "prod.example.com"])
def test_a_kind_context_that_is_not_the_clusters_own_is_refused_before_any_call(
    stack: Stack, where: str
) -> None:
    cluster_exists(stack)
    fake = Listener("127.0.0.2")
    server = fake.address if where == "127.0.0.2" else "https://prod.example.com:6443"
    original = forge(stack, server)
    deletes, runs = len(stack.invocations("skaffold", "delete")), len(stack.invocations("skaffold", "run"))
    context = stack.env.loaded.profile.context
    try:
        for command in (("status",), ("check",), ("down",), ("up", "--headless")):
            out = stack.devstack(*command)
            assert out.returncode == USAGE, (command, out.stdout, out.stderr)
            assert f"refusing kube context {context}" in out.stderr, (command, out.stderr)
            assert server in out.stderr, (command, out.stderr)
            assert "Traceback" not in out.stderr
        if "published by node container" in out.stderr:  # with Docker: the node's own address is named
            assert "https://127.0.0.1:" in out.stderr
        assert fake.connections == 0
        assert len(stack.invocations("skaffold", "delete")) == deletes
        assert len(stack.invocations("skaffold", "run")) == runs
    finally:
        stack.kubeconfig.write_text(original)
        fake.close()
    status = stack.devstack("status", "--json")
    assert status.returncode != USAGE, status.stderr  # the real address is accepted again
