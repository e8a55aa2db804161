"""One skaffold stand-in command's context: the effective config (profiles applied), the target
cluster, the run id, and the build → deploy → status-check iteration `run` and `dev` share."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from devstack_sim.standins import build, portforward, skconfig, statuscheck
from devstack_sim.standins.deploy import Deployer, Target
from devstack_sim.standins.events import FAILED, IN_PROGRESS, SUCCEEDED, EventLog, actionable
from devstack_sim.standins.flags import Parsed
from devstack_sim.standins.home import StandinError


def out(line: str) -> None:
    """Print one skaffold output line (stdout, flushed)."""
    print(line, flush=True)


def kube_target(parsed: Parsed) -> Target:
    """The context to deploy to (`--kube-context`, else the current one) in the kubeconfig.

    Raises:
        StandinError: no kubeconfig, or no such context.
    """
    from kubernetes import config

    kubeconfig = parsed.text("kubeconfig") or None
    try:
        contexts, active = config.list_kube_config_contexts(config_file=kubeconfig)
    except (config.ConfigException, OSError) as err:
        raise StandinError(f"getting current cluster context: {err}") from None
    name = parsed.text("kube-context") or (active or {}).get("name", "")
    entry = next((c for c in contexts or [] if c.get("name") == name), None)
    if entry is None:
        raise StandinError(f'getting Kubernetes client: context "{name}" does not exist')
    details = entry.get("context") or {}
    namespace = parsed.text("namespace") or str(details.get("namespace") or "default")
    return Target(kubeconfig, name, str(details.get("cluster") or ""), namespace, parsed.text("namespace"))


class Session:
    """One skaffold command: the effective config, the target cluster (resolved when first needed)."""

    def __init__(self, home: Path, command: str, parsed: Parsed, stop: threading.Event) -> None:
        self.home = home
        self.command = command
        self.parsed = parsed
        self.stop = stop
        path = Path(parsed.text("filename", "skaffold.yaml")).expanduser()
        auto = parsed.flag("profile-auto-activation", True)
        self.loaded = skconfig.load(path.resolve(), parsed.items("profile"), self._context(), command, auto)
        self.run_id = str(uuid.uuid4())
        self.forward_modes = ["off"]
        self.events = EventLog()
        self.failure = ""  # the error a failed command ends with (its terminationEvent says it)
        self._target: Target | None = None

    def _context(self) -> str:
        """The kube-context profiles activate on: the flag, else the kubeconfig's current context."""
        if self.parsed.text("kube-context"):
            return self.parsed.text("kube-context")
        from kubernetes import config

        try:
            _, active = config.list_kube_config_contexts(config_file=self.parsed.text("kubeconfig") or None)
        except (config.ConfigException, OSError):
            return ""
        return str((active or {}).get("name") or "")

    @property
    def target(self) -> Target:
        """The cluster to deploy to.

        Raises:
            StandinError: the kubeconfig or the context is missing.
        """
        if self._target is None:
            self._target = kube_target(self.parsed)
        return self._target

    def artifacts(self) -> list[build.Artifact]:
        """The artifacts, tagged from their current sources."""
        return build.artifacts(self.loaded.artifacts, self.loaded.root)

    def deployer(self) -> Deployer:
        """A deployer for the target."""
        return Deployer(self.home, self.loaded.root, self.loaded.deploy, self.target, self.run_id, out)

    def build(self) -> list[build.Artifact]:
        """Tags, cache and (simulated) builds."""
        items = self.artifacts()
        local = (self.loaded.config.get("build") or {}).get("local") or {}
        concurrency = local.get("concurrency", 1)
        build.build(
            self.home,
            items,
            out,
            use_cache=self.parsed.flag("cache-artifacts", True),
            parallel=concurrency != 1,
            events=self.events,
        )
        return items

    def dev_iteration(self, deployer: Deployer) -> str | None:
        """One `skaffold dev` iteration: the `DevLoop` task around build, deploy and status check."""
        self.events.task("DevLoop", IN_PROGRESS)
        try:
            error = self.iteration(deployer)
        except statuscheck.Cancelled:
            raise
        except Exception as err:
            self.events.task("DevLoop", FAILED, error=actionable("UNKNOWN_ERROR", str(err)))
            raise
        if error is None:
            self.events.task("DevLoop", SUCCEEDED)
        else:
            self.events.task(
                "DevLoop", FAILED, error=actionable("STATUSCHECK_DEPLOYMENT_ROLLOUT_PENDING", error)
            )
        return error

    def iteration(self, deployer: Deployer) -> str | None:
        """Build, deploy, status check; returns the status-check error, if any.

        Each phase is also a `taskEvent` (Build, Deploy, StatusCheck) on the event API.
        """
        events = self.events
        events.task("Build", IN_PROGRESS, "Build containers")
        try:
            items = self.build()
        except Exception as err:
            events.task("Build", FAILED, error=actionable("BUILD_UNKNOWN", str(err)))
            raise
        events.task("Build", SUCCEEDED)
        out("Tags used in deployment:")
        for artifact in items:
            out(f" - {artifact.image} -> {artifact.ref}")
        out("Starting deploy...")
        deployer.load_images(items)
        events.task("Deploy", IN_PROGRESS, "Deploy to cluster")
        events.deploy_step(0, IN_PROGRESS)
        try:
            namespaces = deployer.deploy(items)
        except Exception as err:
            failure = actionable("DEPLOY_UNKNOWN", str(err))
            events.deploy_step(0, FAILED, failure)
            events.task("Deploy", FAILED, error=failure)
            raise
        events.deploy_step(0, SUCCEEDED)
        events.task("Deploy", SUCCEEDED)
        deploy_config = self.loaded.deploy
        status_check = self.parsed.flag("status-check", deploy_config.get("statusCheck", True) is not False)
        if not status_check:
            return None
        deadline = int(deploy_config.get("statusCheckDeadlineSeconds") or statuscheck.DEFAULT_DEADLINE)
        events.task("StatusCheck", IN_PROGRESS, "Verify deployments are stable")
        error = statuscheck.run(deployer.kube, namespaces, self.run_id, deadline, out, self.stop, events)
        if error is None:
            events.task("StatusCheck", SUCCEEDED)
        else:
            events.task(
                "StatusCheck", FAILED, error=actionable("STATUSCHECK_DEPLOYMENT_ROLLOUT_PENDING", error)
            )
        return error


def forwarder(session: Session, deployer: Deployer) -> portforward.PortForwarder | None:
    """Start the port forwards `--port-forward` asks for (None when it is off)."""
    modes = session.forward_modes
    if modes == ["off"]:
        return None
    namespaces = [r.namespace for r in deployer.releases] or [session.target.namespace]
    entries = portforward.entries_for(modes, session.loaded.config, deployer.kube, namespaces, session.run_id)
    started = portforward.PortForwarder(deployer.kube, out)
    started.start(entries)
    return started
