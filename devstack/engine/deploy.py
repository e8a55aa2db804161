"""The deploy step: `skaffold run` (headless/CI) or `skaffold dev` (interactive), always with an
explicit `--kube-context` and `--kubeconfig`, its output parsed into progress by the store."""

from __future__ import annotations

import threading
import time

from devstack.core import events as ev
from devstack.core.state import State
from devstack.core.versions import parse_version
from devstack.engine.context import EngineContext
from devstack.engine.runner import Progress, StepError
from devstack.errors import DevstackError
from devstack.sources import processes

KEEP_RUNNING = "--keep-running-on-failure"
KEEP_RUNNING_SINCE = (2, 1, 0)


def skaffold_args(ctx: EngineContext, command: str) -> list[str]:
    """The skaffold command line for `run`, `dev` or `delete`."""
    skaffold = ctx.tools.require("skaffold")
    deploy = ctx.profile.deploy
    args = [skaffold, command, "-p", str(deploy.skaffold_profile), "--kube-context", ctx.context]
    if ctx.kubeconfig:
        args += ["--kubeconfig", ctx.kubeconfig]
    # The profile's namespace, which may be the user's own ("{user}-{branch}"): skaffold deploys
    # every helm release there (--namespace comes before a release's own namespace).
    args += ["--filename", deploy.skaffold_file, "--namespace", deploy.namespace]
    if command in ("run", "dev"):
        args += ["--port-forward=off", "--status-check=true", "--tail=false"]
    if command == "dev" and keeps_running_on_failure(ctx, skaffold):
        # A failed first deploy then stays in the cluster to be explained (plain `skaffold dev`
        # exits and deletes it), and the loop redeploys once the code is fixed.
        args.append(KEEP_RUNNING)
    return args


def keeps_running_on_failure(ctx: EngineContext, skaffold: str) -> bool:
    """skaffold >= 2.1 (as the doctor found it, else `skaffold version`) has --keep-running-on-failure."""
    check = next((c for c in ctx.store.state.doctor if c.name == "tool:skaffold"), None)
    version = parse_version(check.fact("version") or "") if check is not None else None
    if version is None:
        try:
            found = processes.run([skaffold, "version"], env=ctx.tools.no_cluster_env(), timeout=15)
        except OSError:
            return False
        version = parse_version(found.stdout) if found.returncode == 0 else None
    return version is not None and version >= KEEP_RUNNING_SINCE


class DeployRunner:
    """Runs skaffold as a child process and streams its output into the store."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.exit_code: int | None = None

    def _emit(self, event: ev.Event) -> None:
        self.ctx.store.dispatch(event)

    def _run(self, args: list[str], timeout: float | None) -> int:
        self._emit(ev.DeployStarted("skaffold", tuple(args), args[1], at=time.time()))
        code = processes.stream(
            args,
            lambda line: self._emit(ev.DeployOutput(line, at=time.time())),
            env=self.ctx.tools.child_env(),
            cwd=str(self.ctx.loaded.root),
            cancel=self.stop,
            timeout=timeout,
            grace=15.0,
        )
        self.exit_code = code
        self._emit(ev.DeployExited(code, at=time.time(), requested=self.stop.is_set()))
        return code

    def run_once(self, progress: Progress) -> str:
        """`skaffold run`: build, deploy, wait for the status check; fails on a non-zero exit."""
        progress("skaffold run: building and deploying")
        args = skaffold_args(self.ctx, "run")
        timeout = self.ctx.timeout("deploy")
        code = self._run(args, timeout)
        if code == 124:
            raise StepError(f"skaffold run did not finish within {timeout:.0f}s")
        if code != 0:
            raise StepError(
                _failure("skaffold run", code, self.ctx.store.state), fix="see the workloads below"
            )
        return f"skaffold run finished (iteration {self.ctx.store.state.deploy.iteration})"

    def start_dev(self, progress: Progress) -> str:
        """`skaffold dev` in the background; the step ends when the first deploy stabilised."""
        args = skaffold_args(self.ctx, "dev")
        self._thread = threading.Thread(target=self._run, args=(args, None), name="skaffold-dev", daemon=True)
        self._thread.start()
        progress("skaffold dev: building and deploying")
        timeout = self.ctx.timeout("deploy")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            deploy = self.ctx.store.state.deploy
            if deploy.exit_code is not None:
                raise StepError(_failure("skaffold dev", deploy.exit_code, self.ctx.store.state))
            if deploy.iteration >= 1 and deploy.phase in ("watching", "deployed"):
                return f"skaffold dev is watching for changes (iteration {deploy.iteration})"
            if deploy.phase == "failed":
                raise StepError(_failure("skaffold dev", None, self.ctx.store.state))
            time.sleep(0.1)
        raise StepError(f"skaffold dev did not deploy within {timeout:.0f}s")

    def shutdown(self) -> None:
        """Stop a running `skaffold dev` (TERM: it cleans up, then KILL after the grace)."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def _failure(what: str, code: int | None, state: State) -> str:
    errors = state.deploy.errors[-3:] or state.deploy.lines[-3:]
    exit_text = f" (exit {code})" if code is not None else ""
    return f"{what} failed{exit_text}: " + " | ".join(errors)


def skaffold_delete(ctx: EngineContext) -> str:
    """`skaffold delete` with the profile's skaffold profile and the explicit context."""
    result = processes.run(
        skaffold_args(ctx, "delete"), env=ctx.tools.child_env(), cwd=str(ctx.loaded.root), timeout=600
    )
    if result.returncode != 0:
        raise DevstackError(
            f"skaffold delete failed (exit {result.returncode}): {result.stderr.strip()[-300:]}"
        )
    return (result.stdout + result.stderr).strip()
