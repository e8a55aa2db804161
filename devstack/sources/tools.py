"""Finding the real command-line tools devstack drives, and the environment children run in.

devstack looks for the real kind/skaffold/kubectl/helm. The simulator's stand-ins
(`devstack/sim/bin`) are only used when a `ToolEnv` is built with `allow_sim=True`: by
`devstack demo`, and by tests that set `DEVSTACK_SIM_TOOLS=1` in devstack's environment.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE

SIM_BIN = Path(__file__).resolve().parents[1] / "sim" / "bin"
INSTALL = {
    "kind": "install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation",
    "skaffold": "install skaffold: https://skaffold.dev/docs/install/",
    "kubectl": "install kubectl: https://kubernetes.io/docs/tasks/tools/",
    "helm": "install helm: https://helm.sh/docs/intro/install/",
    "tilt": "install tilt: https://docs.tilt.dev/install.html",
}


@dataclass(frozen=True)
class ToolEnv:
    """The environment child processes get, and where their programs are found."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    allow_sim: bool = field(default_factory=lambda: os.environ.get("DEVSTACK_SIM_TOOLS") == "1")

    def search_path(self) -> str:
        """PATH used to find tools (the simulator's stand-ins removed unless allowed)."""
        parts = self.env.get("PATH", os.defpath).split(os.pathsep)
        if not self.allow_sim:
            parts = [p for p in parts if p and Path(p).resolve() != SIM_BIN]
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

    def kubeconfig_for(self, context: str) -> str | None:
        """The kubeconfig file holding `context` (or the first file of $KUBECONFIG / ~/.kube/config)."""
        from devstack.sources.kubeconfig import context_names

        value = self.env.get("KUBECONFIG", "")
        home = Path(self.env.get("HOME", str(Path.home())))
        paths = [Path(p).expanduser() for p in value.split(os.pathsep) if p] or [home / ".kube" / "config"]
        for path in paths:
            if context in context_names([path]):
                return str(path)
        return str(paths[0])
