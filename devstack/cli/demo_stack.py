"""`devstack demo`: a throwaway simulated environment that the normal devstack flow runs against.

It gets its own folder `<state dir>/demos/devstack-demo-*` with its `DEVSTACK_SIM_HOME`, its own
kubeconfig, its own state (the forward markers) and a copy of the stack, and the simulator's
kind/skaffold stand-ins on PATH for child processes only. Every profile of the copy is sealed to
the demo: its one simulated cluster (`demo-<random>`, the only allowed context), the demo's ports
(`DEVSTACK_DEMO_*_PORT`) and the scenario's chart values, so switching profile inside the demo
never reaches a real cluster name or port.

Everything — cluster daemon, node containers, pod processes, files — is removed on exit; if the
demo process is killed before it can do that (even with SIGKILL), its reaper does it: the folder is
leased to the process and every child is marked (`devstack.sources.janitor` says how).

While the demo runs, a command given one of its profiles (`devstack status -p <demo
profile path>`, from any folder) runs in the demo's environment (`live_demo`): its kubeconfig,
its stand-ins and its state, as the demo itself does.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack.profile import LoadedProfile, load
from devstack.settings import Settings
from devstack.sources import janitor, kind, leases
from devstack.sources.leases import Lease, new_folder
from devstack.sources.tools import ToolEnv

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
DEMO_PROFILES = {"skaffold": DEMO_PROFILE, "tilt": "local-kind-tilt"}
"""The profile the demo runs, by deploy tool (`devstack demo --tool`)."""
_ALLOWED_CONTEXTS = re.compile(r"allow_k8s_contexts\(\s*\[[^\]]*\]\s*\)")
STACK = "stack"
STATE = "state"
ENVIRONMENT_FILE = "environment.json"
"""The demo's own environment variables and stand-in folder, for commands run on its profiles."""
ENVIRONMENT_KEYS = ("KUBECONFIG", "DEVSTACK_SIM_HOME", "DEVSTACK_SIM_PYTHON", janitor.DEMO_MARKER)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def stack_source() -> Path:
    """The stack the demo copies: the simulator's demo stack (package data of an installed devstack,
    or the clone it runs from)."""
    from devstack_sim import demo_stack

    return demo_stack()


def demo_tools(
    base: Mapping[str, str], own: Mapping[str, str], standins: str, fallback: Sequence[str] = ()
) -> ToolEnv:
    """The demo's tool environment: `base` with the demo's own variables, its stand-ins first on
    PATH (the simulator allowed) and the programs devstack provided it (`fallback`: helm, kubectl)
    last, so the machine's own always win. The one rule for the demo's children, wherever they start."""
    env = dict(base)
    env.update(own)
    env["PATH"] = os.pathsep.join([standins, env.get("PATH", os.defpath), *fallback])
    return ToolEnv(env, allow_sim=True)


@dataclass(frozen=True)
class LiveDemo:
    """A running demo, seen from a command given one of its profiles."""

    home: Path
    tools: ToolEnv

    @property
    def state_dir(self) -> Path:
        """The demo's own state (its forward markers)."""
        return self.home / STATE


def live_demo(loaded: LoadedProfile, settings: Settings) -> LiveDemo | None:
    """The running demo whose stack copy holds `loaded`, with its tools (None for any other profile).

    Only a demo under this user's state dir counts, and only while its owner runs (it holds the
    folder's lease): a command then reaches the demo's cluster with the demo's kubeconfig and
    stand-ins, and its children carry the demo's marker (the demo's reaper ends them with it).
    """
    root = loaded.root.resolve()
    demos = janitor.demos_root(settings.state_dir).resolve()
    home = root.parent
    if root.name != STACK or home.parent != demos or not home.name.startswith("devstack-demo-"):
        return None
    try:
        recorded = json.loads((home / ENVIRONMENT_FILE).read_text(encoding="utf-8"))
        own = {key: str(recorded["env"][key]) for key in ENVIRONMENT_KEYS}
        standins = str(recorded["standins"])
        fallback = [str(folder) for folder in recorded.get("fallback") or []]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    with leases.taken(home) as record:
        if record is not None:  # the lease was free: its owner is gone
            return None
    return LiveDemo(home, demo_tools(settings.environ, own, standins, fallback))


@dataclass
class DemoEnvironment:
    """Set up on enter, removed on exit (also after Ctrl-C); its reaper removes it if the process dies."""

    settings: Settings
    scenario: str = "healthy"
    tool_folders: tuple[str, ...] = ()
    """Folders of programs devstack provided for the demo (helm, kubectl): last on its PATH."""
    tool: str = "skaffold"
    """The deploy tool of the profile the demo runs (skaffold or tilt)."""
    home: Path = field(init=False)
    tools: ToolEnv = field(init=False)
    loaded: LoadedProfile = field(init=False)
    cluster: str = field(init=False, default="")
    _lease: Lease | None = field(init=False, default=None)
    _reaper: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __enter__(self) -> DemoEnvironment:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}; choose from {', '.join(SCENARIOS)}")
        if self.tool not in DEMO_PROFILES:
            raise ValueError(f"unknown tool {self.tool!r}; choose from {', '.join(DEMO_PROFILES)}")
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

    @property
    def stack(self) -> Path:
        """The demo's copy of the stack."""
        return self.home / STACK

    @property
    def state_dir(self) -> Path:
        """The demo's own state dir (the forward markers live and end with the demo)."""
        return self.home / STATE

    def load(self, name: str) -> LoadedProfile:
        """A profile of the demo's stack copy (every one of them sealed to the demo)."""
        return load(name, self.stack, self.settings.user)

    def _labels(self) -> list[str]:
        """The Docker labels of this demo's node containers (the kind stand-in's, for its home)."""
        from devstack_sim import node_labels

        return node_labels(self.home / "sim")

    def _prepare(self) -> None:
        stack = self.stack
        from devstack_sim import DEMO_STACK_PARTS

        source = stack_source()
        for part in DEMO_STACK_PARTS:
            origin = source / part
            if origin.is_dir():
                shutil.copytree(origin, stack / part, ignore=shutil.ignore_patterns("__pycache__", "*.tgz"))
            else:
                stack.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, stack / part)
        self.state_dir.mkdir(mode=0o700)
        for values in sorted((stack / "charts" / "jetscale").glob("values-*.yaml")):
            self._write_values(values)
        # Docker container names are global to the daemon, as with real kind: a unique cluster name
        # keeps the demo clear of the user's own `jetscale` cluster (and of other demos).
        self.cluster = f"demo-{secrets.token_hex(3)}"
        for profile in sorted((stack / "profiles").glob("*.y*ml")):
            self._write_profile(profile)
        self._unwire(stack)
        self._seal_tiltfile(stack / "Tiltfile")
        from devstack_sim import standin_bin

        own = {
            "DEVSTACK_SIM_HOME": str(self.home / "sim"),
            janitor.DEMO_MARKER: str(self.home),
            "DEVSTACK_SIM_PYTHON": sys.executable,
            "KUBECONFIG": str(self.home / "kubeconfig"),
        }
        self.tools = demo_tools(self.settings.environ, own, str(standin_bin()), self.tool_folders)
        record = {"env": own, "standins": str(standin_bin()), "fallback": list(self.tool_folders)}
        (self.home / ENVIRONMENT_FILE).write_text(json.dumps(record), encoding="utf-8")
        self.loaded = self.load(DEMO_PROFILES[self.tool])

    def _write_values(self, values_path: Path) -> None:
        """The demo's ports and the scenario's break, in every values file a profile may use."""
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

    def _seal_tiltfile(self, path: Path) -> None:
        """The Tiltfile allows the demo's cluster only (as every sealed profile does)."""
        if not path.is_file():
            return
        sealed = f"allow_k8s_contexts(['kind-{self.cluster}'])"
        path.write_text(_ALLOWED_CONTEXTS.sub(sealed, path.read_text(encoding="utf-8")), encoding="utf-8")

    def _write_profile(self, path: Path) -> None:
        """Seal a profile to the demo: its cluster (the only allowed context) and its ports."""
        profile = yaml.safe_load(path.read_text())
        if not isinstance(profile, dict):
            return  # not a profile: loading it says why
        profile["description"] = f"devstack demo ({self.scenario}): {profile.get('description') or path.stem}"
        cluster = profile.setdefault("cluster", {})
        if isinstance(cluster, dict):
            cluster["name"] = self.cluster
        profile["safety"] = {"allowed_contexts": [f"kind-{self.cluster}"]}
        # The profile states each port once, in its forwards: check URLs and origins follow.
        ports = {"frontend": self.settings.demo_frontend_port, "backend": self.settings.demo_backend_port}
        for forward in profile.get("forwards") or []:
            if isinstance(forward, dict):
                forward["local_port"] = ports.get(str(forward.get("name")), forward.get("local_port"))
        path.write_text(yaml.safe_dump(profile, sort_keys=False))

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Delete the simulated cluster (daemon, containers, pod processes) and every file, then let
        the reaper go (it removes anything a start-up interrupted at the wrong moment left late).

        Safe to call twice, and before (or after a failed) `__enter__`.
        """
        try:
            if hasattr(self, "tools") and self.cluster:
                kind.delete(self.tools, self.cluster, self.tools.env["KUBECONFIG"])
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
