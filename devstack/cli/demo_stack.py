"""`devstack demo`: a throwaway simulated environment that the normal devstack flow runs against.

It gets its own folder `<state dir>/demos/devstack-demo-*` with its `DEVSTACK_SIM_HOME`, its own
kubeconfig and a copy of the stack (with the scenario's chart values), and the simulator's
kind/skaffold stand-ins on PATH for child processes only. Everything — cluster daemon, node
containers, pod processes, files — is removed on exit; if the demo process is killed before it can
do that (even with SIGKILL), its reaper does it: the folder is leased to the process and every child
is marked (`devstack.sources.janitor` says how).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack.profile import LoadedProfile, load_profile
from devstack.settings import Settings
from devstack.sources import janitor, kind
from devstack.sources.leases import Lease, new_folder
from devstack.sources.tools import ToolEnv

REPO = Path(__file__).resolve().parents[2]
STACK_PARTS = ("profiles", "charts", "demo", "skaffold.yaml")
SCENARIOS: dict[str, dict[str, Any]] = {
    "healthy": {},
    "crashloop": {"backend": {"env": {"DEMO_CRASH_ON_START": "1"}}},
    "imagepull": {"backend": {"image": {"repository": "jetscale-backnd", "tag": "dev"}}},
    "bad-api-url": {"frontend": {"apiBaseUrl": "http://jetscale-backend:8000"}},
}
# Scenarios whose break is in the skaffold wiring: these image values stop coming from skaffold,
# so the chart's (typo'd) values reach the pods, as when an image reference drifts from the build.
UNWIRED_VALUES = {"imagepull": ("backend.image.repository", "backend.image.tag")}
DEMO_PROFILE = "local-kind"


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def stack_source() -> Path:
    """The stack the demo copies: the repository devstack runs from."""
    if not all((REPO / part).exists() for part in STACK_PARTS):
        raise FileNotFoundError(
            f"the demo stack is not next to devstack ({REPO}): run from a clone of the repo"
        )
    return REPO


@dataclass
class DemoEnvironment:
    """Set up on enter, removed on exit (also after Ctrl-C); its reaper removes it if the process dies."""

    settings: Settings
    scenario: str = "healthy"
    home: Path = field(init=False)
    tools: ToolEnv = field(init=False)
    loaded: LoadedProfile = field(init=False)
    _lease: Lease | None = field(init=False, default=None)
    _reaper: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __enter__(self) -> DemoEnvironment:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; choose from {', '.join(SCENARIOS)}")
        self.home = new_folder(janitor.demos_root(self.settings.state_dir), prefix="devstack-demo-")
        try:
            self._lease = Lease.hold(
                self.home, purpose=janitor.DEMO, scenario=self.scenario, container_labels=self._labels()
            )
            self._reaper = janitor.start_reaper(self.home, self.settings.environ)
            self._prepare()
        except BaseException:
            self.close()
            raise
        return self

    def _labels(self) -> list[str]:
        """The Docker labels of this demo's node containers (the kind stand-in's, for its home)."""
        from devstack_sim import node_labels

        return node_labels(self.home / "sim")

    def _prepare(self) -> None:
        stack = self.home / "stack"
        source = stack_source()
        for part in STACK_PARTS:
            origin = source / part
            if origin.is_dir():
                shutil.copytree(origin, stack / part, ignore=shutil.ignore_patterns("__pycache__", "*.tgz"))
            else:
                stack.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, stack / part)
        self._write_values(stack)
        self._write_profile(stack)
        self._unwire(stack)
        from devstack_sim import standin_bin

        env = dict(self.settings.environ)
        env.update(
            DEVSTACK_SIM_HOME=str(self.home / "sim"),
            **{janitor.DEMO_MARKER: str(self.home)},
            DEVSTACK_SIM_PYTHON=sys.executable,
            KUBECONFIG=str(self.home / "kubeconfig"),
            PATH=os.pathsep.join([str(standin_bin()), env.get("PATH", os.defpath)]),
        )
        self.tools = ToolEnv(env, allow_sim=True)
        path = stack / "profiles" / f"{DEMO_PROFILE}.yaml"
        self.loaded = LoadedProfile(load_profile(path), path, stack)

    def _write_values(self, stack: Path) -> None:
        values_path = stack / "charts" / "jetscale" / "values-local.yaml"
        values = yaml.safe_load(values_path.read_text()) or {}
        ports = {
            "frontend": {"apiBaseUrl": f"http://localhost:{self.settings.demo_backend_port}"},
            "backend": {"allowedOrigins": [f"http://localhost:{self.settings.demo_frontend_port}"]},
        }
        values = _merge(_merge(values, ports), SCENARIOS[self.scenario])
        values_path.write_text(
            f"# devstack demo, scenario {self.scenario}\n" + yaml.safe_dump(values, sort_keys=False)
        )

    def _unwire(self, stack: Path) -> None:
        keys = UNWIRED_VALUES.get(self.scenario)
        if not keys:
            return
        path = stack / "skaffold.yaml"
        config = yaml.safe_load(path.read_text())
        for release in config["deploy"]["helm"]["releases"]:
            templates = release.get("setValueTemplates") or {}
            for key in keys:
                templates.pop(key, None)
        path.write_text(yaml.safe_dump(config, sort_keys=False))

    def _write_profile(self, stack: Path) -> None:
        path = stack / "profiles" / f"{DEMO_PROFILE}.yaml"
        profile = yaml.safe_load(path.read_text())
        profile["description"] = f"devstack demo ({self.scenario}) on a simulated kind cluster"
        # Docker container names are global to the daemon, as with real kind: a unique cluster name
        # keeps the demo clear of the user's own `jetscale` cluster (and of other demos).
        profile["cluster"]["name"] = f"demo-{secrets.token_hex(3)}"
        profile["safety"] = {"allowed_contexts": [f"kind-{profile['cluster']['name']}"]}
        # The profile states each port once, in its forwards: check URLs and origins follow.
        ports = {"frontend": self.settings.demo_frontend_port, "backend": self.settings.demo_backend_port}
        for forward in profile.get("forwards") or []:
            forward["local_port"] = ports.get(forward["name"], forward["local_port"])
        path.write_text(yaml.safe_dump(profile, sort_keys=False))

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the simulated cluster (daemon, containers, pod processes) and every file, then let
        the reaper go (it removes anything a start-up interrupted at the wrong moment left late).

        Safe to call twice, and before (or after a failed) `__enter__`.
        """
        try:
            if hasattr(self, "loaded"):
                kind.delete(self.tools, self.loaded.profile.cluster.name, self.tools.env["KUBECONFIG"])
        except Exception as err:  # noqa: BLE001 - cleanup must go on; say what could not be removed
            print(f"devstack demo: cleanup: {err}", file=sys.stderr)
        finally:
            if hasattr(self, "home"):
                shutil.rmtree(self.home, ignore_errors=True)
            if self._lease is not None:
                self._lease.release()
            self._wait_for_reaper()

    def _wait_for_reaper(self) -> None:
        reaper, self._reaper = self._reaper, None
        if reaper is None:
            return
        try:
            reaper.wait(timeout=janitor.TERM_GRACE + 20)
        except subprocess.TimeoutExpired:
            where = f"devstack demo: its reaper (pid {reaper.pid})"
            print(f"{where} is still checking for leftovers", file=sys.stderr)
