"""Finding the real command-line tools devstack drives, and the environment children run in.

devstack looks for the real kind/skaffold/kubectl/helm/tilt. The simulator's stand-ins carry a
marker (`devstack simulator stand-in` in their first lines); a `ToolEnv` refuses marked programs,
and drops the folders holding them from its children's PATH, unless it is built with
`allow_sim=True` (by `devstack demo`, and for tests that set `DEVSTACK_SIM_TOOLS=1`).

Children see one kube context at most. `child_env()` of a ToolEnv confined to a context
(`confined_to`, done by the engine for the profile's context) sets `KUBECONFIG` to that context's
private kubeconfig (`sources/confine.py`); unconfined, and for `no_cluster_env()` (version probes,
`kind`), `KUBECONFIG` names a kubeconfig with no cluster at all. Either way the variables that could
point a client elsewhere (`HELM_KUBE*`, `SKAFFOLD_KUBE_CONTEXT`, in-cluster config) are dropped.
`kind create/delete/export` write the user's own file, passed with `--kubeconfig`
(`user_kubeconfig_for`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE
from devstack.settings import Settings, kubeconfig_paths
from devstack.sources.confine import Confinement, Verify, no_cluster_file, scrub

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
    confinement: Confinement | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> ToolEnv:
        """The tools of this run: the process environment, stand-ins only with DEVSTACK_SIM_TOOLS=1."""
        return cls(settings.environ, allow_sim=settings.sim_tools)

    def confined_to(self, context: str, verify: Verify | None = None, missing_fix: str = "") -> ToolEnv:
        """The same tools with children and clients confined to `context` (itself if already so).

        `verify` checks the context's entries before they are handed out; `missing_fix` is the fix
        shown when no kubeconfig file has the context.
        """
        if self.confinement is not None and self.confinement.context == context:
            return self
        paths = self.kubeconfig_paths()
        confinement = Confinement(paths, context, verify, missing_fix)
        return replace(self, confinement=confinement)

    def confined_kubeconfig(self) -> str:
        """The private kubeconfig of the confined context (written and checked on demand).

        Raises:
            DevstackError: not confined, or the context is missing, malformed or refused (exit 2).
        """
        if self.confinement is None:
            raise DevstackError("internal: no kube context was chosen for these tools")
        return self.confinement.path()

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
        """Environment for a child that may talk to the cluster: only the confined context in its
        KUBECONFIG (no cluster at all when unconfined), PATH without the stand-ins unless allowed.

        Raises:
            DevstackError: the confined context is missing, malformed or refused (exit 2).
        """
        if self.confinement is None:
            return self.no_cluster_env(**extra)
        return self._env(self.confined_kubeconfig(), extra)

    def no_cluster_env(self, **extra: str) -> dict[str, str]:
        """Environment for a child that needs no cluster (version probes, `kind`): its KUBECONFIG
        names no context, so it reaches no server."""
        return self._env(str(no_cluster_file()), extra)

    def _env(self, kubeconfig: str, extra: Mapping[str, str]) -> dict[str, str]:
        env = scrub(dict(self.env))
        env["PATH"] = self.search_path()
        env["KUBECONFIG"] = kubeconfig
        env.update(extra)
        return env

    def kubeconfig_paths(self) -> tuple[Path, ...]:
        """The kubeconfig files of this environment (`$KUBECONFIG`, else `~/.kube/config`)."""
        home = Path(self.env.get("HOME") or Path.home())
        return kubeconfig_paths(self.env.get("KUBECONFIG", ""), home)

    def user_kubeconfig_for(self, context: str) -> str:
        """The user's kubeconfig file holding `context` (or the first of `kubeconfig_paths()`):
        the file kind writes its entries to. Never given to a child that talks to a cluster."""
        from devstack.sources.kubeconfig import context_names

        paths = self.kubeconfig_paths()
        for path in paths:
            if context in context_names([path]):
                return str(path)
        return str(paths[0])
