"""Everything a command's engine run needs, built once from the profile."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.core.pipeline import PlannedForward, RunPlan
from devstack.core.store import Store
from devstack.core.verdicts import Verdicts, verdicts_of
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.profile import LoadedProfile, Profile
from devstack.sources.kindcontext import kind_verifier
from devstack.sources.kube import KubeTarget
from devstack.sources.portowner import PortClaims
from devstack.sources.tools import ToolEnv


@dataclass
class EngineContext:
    """The profile, the store, the tool environment and the explicit kube target.

    The tools are confined to the profile's context on construction: every child and API client of
    the run gets the private kubeconfig of that one context (`kubeconfig`), checked when it is
    first needed (`confine()`; for a kind cluster, against the address its node container publishes).

    `state_dir` is `Settings.state_dir` (where the forwarder marks the ports it holds); None only
    in tests that do not forward.
    """

    loaded: LoadedProfile
    store: Store
    tools: ToolEnv
    cancel: threading.Event = field(default_factory=threading.Event)
    recreate: bool = False
    interactive: bool = False
    overall_timeout: float | None = None
    state_dir: Path | None = None
    deadline: float | None = None
    """`time.monotonic()` by which the whole run must be done (`--timeout`; see `start_deadline`)."""

    def __post_init__(self) -> None:
        if self.profile.kind_cluster:
            missing = "`devstack up` creates the kind cluster and its context"
        else:
            missing = "add it to your kubeconfig (e.g. with your cloud CLI's get-credentials command)"
        verify = kind_verifier(self.profile.kind_cluster, self.tools.allow_sim, self.tools.settings())
        self.tools = self.tools.confined_to(self.context, verify, missing)

    def start_deadline(self) -> float | None:
        """Start the clock of `--timeout`: one deadline for every stage of this run."""
        self.deadline = time.monotonic() + self.overall_timeout if self.overall_timeout else None
        return self.deadline

    def remaining(self, limit: float) -> float:
        """`limit` seconds, or less when the run's deadline comes first (never below 0.01)."""
        if self.deadline is None:
            return min(limit, self.overall_timeout) if self.overall_timeout else limit
        return max(0.01, min(limit, self.deadline - time.monotonic()))

    def timeout(self, stage: str) -> float:
        """Seconds a stage may take: the profile's `deploy.timeouts`, cut to what is left of `--timeout`."""
        return self.remaining(float(getattr(self.profile.deploy.timeouts, stage)))

    @property
    def profile(self) -> Profile:
        """The validated profile."""
        return self.loaded.profile

    @property
    def context(self) -> str:
        """The one kube context this run may touch (from the profile, never current-context)."""
        return str(self.loaded.profile.context)

    @property
    def kubeconfig(self) -> str:
        """The private kubeconfig holding only this run's context, passed to every tool and client.

        Raises:
            DevstackError: the context is missing, malformed, or a kind context that is not the
                cluster's own API server (exit 2).
        """
        return self.tools.confined_kubeconfig()

    @property
    def user_kubeconfig(self) -> str:
        """The user's kubeconfig file holding the context: only kind writes it (create, delete, export)."""
        return self.tools.user_kubeconfig_for(self.context)

    def confine(self) -> str:
        """Check the context now (before any call to the cluster); returns the private kubeconfig."""
        return self.kubeconfig

    def verdicts(self) -> Verdicts:
        """The health verdicts of every pod and workload in the store's current state."""
        return verdicts_of(self.store.state, self.profile.kind_cluster)

    @property
    def plan(self) -> RunPlan:
        """What this profile sets up, for the texts that name its ports, namespace and URLs."""
        profile = self.profile
        deploy = profile.deploy
        dev = self.interactive and deploy.mode == "dev"
        command = {"skaffold": ("dev", "run"), "tilt": ("up", "ci")}[deploy.tool][0 if dev else 1]
        tool = f"{deploy.tool} {command}"
        if deploy.tool == "skaffold":
            tool += f" (profile {deploy.skaffold_profile})"
        forwards = tuple(
            PlannedForward(f.name, f.local_port, f.service, f.remote_port) for f in profile.forwards
        )
        return RunPlan(deploy.namespace, tool, forwards, frontend_url(profile))

    @property
    def port_claims(self) -> PortClaims | None:
        """The markers of this profile's forwards (None without a state dir)."""
        if self.state_dir is None:
            return None
        return PortClaims(self.state_dir, self.profile.name, self.context)

    @property
    def target(self) -> KubeTarget:
        """Context, namespace, the private kubeconfig (written and checked by the client before its
        first call: `KubeTarget.prepare`) and the environment's proxy settings for API clients."""
        confinement = self.tools.confinement
        assert confinement is not None  # confined in __post_init__
        settings = self.tools.settings()
        return KubeTarget(
            self.context,
            self.profile.deploy.namespace,
            confinement.file,
            settings.https_proxy,
            settings.no_proxy,
            origin=confinement.shown_sources,
            prepare=confinement.path,
        )


def guard_context(loaded: LoadedProfile) -> str:
    """The profile's context if the profile allows it; otherwise refuse (exit 2), saying why.

    The kube context always comes from the profile — `kind-<name>` or the existing cluster's
    named context — never from the kubeconfig's current-context.
    """
    profile = loaded.profile
    context = profile.context
    allowed = profile.allowed_contexts
    if context not in allowed:
        shown = ", ".join(allowed) if allowed else "none"
        raise DevstackError(
            f"refusing kube context {context!r}: profile {profile.name} allows only [{shown}] "
            f"(safety.allowed_contexts in {loaded.path.name})",
            fix=f"add {context!r} to safety.allowed_contexts in {loaded.path} if devstack may use it",
            exit_code=USAGE,
        )
    return context


def frontend_url(profile: Profile) -> str:
    """http://localhost:<the frontend forward's port> (the API check's frontend, else the forward
    named `frontend`, else the first); the API check's `frontend_url` without forwards; else ""."""
    api = profile.checks.api_base_url
    forwards = profile.forwards
    forward = (
        next((f for f in forwards if f.name == api.frontend_forward), None)
        or next((f for f in forwards if f.name == "frontend"), None)
        or next(iter(forwards), None)
    )
    if forward is not None:
        return f"http://localhost:{forward.local_port}"
    return api.frontend_url
