"""Finding the real command-line tools devstack drives, and the environment children run in.

devstack looks for the real kind/skaffold/kubectl/helm. The simulator's stand-ins carry a marker
(`devstack simulator stand-in` in their first lines); a `ToolEnv` refuses marked programs, and
drops the folders holding them from its children's PATH, unless it is built with
`allow_sim=True` (by `devstack demo`, and for tests that set `DEVSTACK_SIM_TOOLS=1`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE
from devstack.settings import Settings, kubeconfig_paths

STANDIN_MARKER = b"devstack simulator stand-in"
STANDIN_NAMES = ("kind", "skaffold", "tilt")
INSTALL = {
    "kind": "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "skaffold": "install skaffold: https://skaffold.dev/docs/install/",
    "kubectl": "install kubectl: https://kubernetes.io/docs/tasks/tools/",
    "helm": "install helm: https://helm.sh/docs/intro/install/",
    "tilt": "install tilt: https://docs.tilt.dev/install.html",
}


@cache
def is_standin(program: str) -> bool:
    """The program is one of the simulator's stand-ins (its first lines carry the marker)."""
    try:
        with open(program, "rb") as handle:
            return STANDIN_MARKER in handle.read(512)
    except OSError:
        return False


def _holds_standins(folder: str) -> bool:
    return any(is_standin(os.path.join(folder, name)) for name in STANDIN_NAMES)


@dataclass(frozen=True)
class ToolEnv:
    """The environment child processes get, and where their programs are found."""

    env: Mapping[str, str] = field(default_factory=dict)
    allow_sim: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolEnv:
        """The tools of this run: the process environment, stand-ins only with DEVSTACK_SIM_TOOLS=1."""
        return cls(settings.environ, allow_sim=settings.sim_tools)

    def settings(self) -> Settings:
        """The settings this environment holds (proxies, Docker endpoint...), read by `Settings`."""
        return Settings.from_environ(self.env)

    def search_path(self) -> str:
        """PATH used to find tools (folders holding stand-ins removed unless allowed)."""
        parts = self.env.get("PATH", os.defpath).split(os.pathsep)
        if not self.allow_sim:
            parts = [p for p in parts if p and not _holds_standins(p)]
        return os.pathsep.join(parts)

    def which(self, name: str) -> str | None:
        """Full path of a tool, or None."""
        return shutil.which(name, path=self.search_path())

    def require(self, name: str) -> str:
        """Full path of a tool; a missing tool is a prerequisite failure (exit 3)."""
        found = self.which(name)
        if found is None:
            raise DevstackError(
                f"{name} not found on PATH", fix=INSTALL.get(name, ""), exit_code=MISSING_PREREQUISITE
            )
        return found

    def child_env(self, **extra: str) -> dict[str, str]:
        """Environment for a child process (PATH without the stand-ins unless allowed)."""
        env = dict(self.env)
        env["PATH"] = self.search_path()
        env.update(extra)
        return env

    def kubeconfig_paths(self) -> tuple[Path, ...]:
        """The kubeconfig files of this environment (`$KUBECONFIG`, else `~/.kube/config`)."""
        home = Path(self.env.get("HOME") or Path.home())
        return kubeconfig_paths(self.env.get("KUBECONFIG", ""), home)

    def kubeconfig_for(self, context: str) -> str:
        """The kubeconfig file holding `context` (or the first of `kubeconfig_paths()`)."""
        from devstack.sources.kubeconfig import context_names

        paths = self.kubeconfig_paths()
        for path in paths:
            if context in context_names([path]):
                return str(path)
        return str(paths[0])
