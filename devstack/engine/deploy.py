"""The deploy step: `skaffold run` (headless/CI) or `skaffold dev` (interactive), always with an
explicit `--kube-context` and `--kubeconfig` and the private kubeconfig of the one context.

Skaffold is followed through its event API v2: started with `--enable-rpc=true` and
`--rpc-http-port` on a free 127.0.0.1 port, `GET /v2/events` gives its tasks, per-artifact cache
checks and builds, deploys and status checks (`sources/skaffold_events.py`). Its output still goes
to the Log pane; it is read for progress only when the API is absent (the deploy state's channel
says `log` and why): a Skaffold that does not know the flags (it is started again without them),
answers 404, or does not answer at all.

Both runners (this one and `engine/deploy_tilt.py`) implement `DeployTool`
(`engine/deploy_tool.py`) and feed the same timeline phases; `engine/looptracker.py` adds the
trigger and what happens after their deploy.
"""

from __future__ import annotations

import re
import threading
import time

from devstack.core import events as ev
from devstack.core.state import State
from devstack.core.versions import parse_version
from devstack.engine.context import EngineContext
from devstack.engine.deploy_tool import await_first_deploy
from devstack.engine.runner import Progress, StepError
from devstack.errors import DevstackError
from devstack.sources import processes
from devstack.sources.ports import free_local_port
from devstack.sources.skaffold_events import EventStream
from devstack.sources.stackfiles import StackFiles

KEEP_RUNNING = "--keep-running-on-failure"
KEEP_RUNNING_SINCE = (2, 1, 0)
USAGE_EXIT = 127
EVENTS_AFTER_EXIT = 2.0
API_FLAGS = ("--rpc-http-port", "--rpc-port", "--enable-rpc")
_MOVED_PORT = re.compile(r"starting gRPC HTTP server on port (\d+)\. \((\d+) is already in use\)")


def skaffold_args(ctx: EngineContext, command: str, rpc_ports: tuple[int, int] | None = None) -> list[str]:
    """The skaffold command line for `run`, `dev` or `delete`; `rpc_ports` (gRPC, HTTP) turn its
    event API on."""
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
        if rpc_ports is not None:
            args += ["--enable-rpc=true", f"--rpc-port={rpc_ports[0]}", f"--rpc-http-port={rpc_ports[1]}"]
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
    """Runs skaffold as a child process; its events (or, failing that, its output) go to the store."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx
        self.stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.exit_code: int | None = None
        self.use_api = True

    def _emit(self, event: ev.Event) -> None:
        self.ctx.store.dispatch(event)

    def watched_files(self) -> StackFiles:
        """What skaffold.yaml says skaffold watches."""
        return StackFiles.from_skaffold(self.ctx.loaded.root, self.ctx.profile.deploy.skaffold_file)

    def _run(self, command: str, timeout: float | None) -> int:
        """Run skaffold to its end; started again without its API when it does not know the flags,
        or on other ports when its API's port was taken meanwhile."""
        code = -1
        for _attempt in range(3):
            ports = (free_local_port(), free_local_port()) if self.use_api else None
            code, early = self._attempt(command, ports, timeout)
            begun = self.ctx.store.state.deploy.iteration > 0
            if code == 0 or self.stop.is_set() or begun or ports is None:
                break
            text = "\n".join(early)
            if code == USAGE_EXIT and any(flag in text for flag in API_FLAGS):
                self.use_api = False  # an older skaffold: read its output instead
            elif not any(f"127.0.0.1:{port}" in text for port in ports):
                break  # it failed for another reason than its API's ports
        self.exit_code = code
        self._emit(ev.DeployExited(code, at=time.time(), requested=self.stop.is_set()))
        return code

    def _attempt(
        self, command: str, ports: tuple[int, int] | None, timeout: float | None
    ) -> tuple[int, list[str]]:
        args = skaffold_args(self.ctx, command, ports)
        self._emit(ev.DeployStarted("skaffold", tuple(args), command, at=time.time(), channel="pending"))
        if ports is None:
            detail = "skaffold does not know --rpc-http-port: reading its output"
            self._emit(ev.DeployChannel("log", detail, at=time.time()))
        done = threading.Event()
        stream = EventStream(ports[1], self._emit, alive=lambda: not done.is_set()) if ports else None
        early: list[str] = []

        def on_line(line: str) -> None:
            if len(early) < 50:
                early.append(line)
            moved = _MOVED_PORT.search(line)
            if stream is not None and moved and int(moved[2]) == stream.port:
                stream.port = int(moved[1])  # skaffold took another port for its API
            self._emit(ev.DeployOutput(line, at=time.time()))

        if stream is not None:
            stream.start()
        try:
            code = processes.stream(
                args,
                on_line,
                env=self.ctx.tools.child_env(),
                cwd=str(self.ctx.loaded.root),
                cancel=self.stop,
                timeout=timeout,
                grace=15.0,
            )
        finally:
            done.set()
            if stream is not None:
                stream.terminated.wait(EVENTS_AFTER_EXIT)
                stream.stop()
                if not stream.channel:
                    detail = "skaffold exited before its event API answered"
                    self._emit(ev.DeployChannel("log", detail, at=time.time()))
        return code, early

    def run_once(self, progress: Progress) -> str:
        """`skaffold run`: build, deploy, wait for the status check; fails on a non-zero exit."""
        progress("skaffold run: building and deploying")
        timeout = self.ctx.timeout("deploy")
        code = self._run("run", timeout)
        if code == processes.TIMED_OUT:
            raise StepError(f"skaffold run did not finish within {timeout:.0f}s")
        if code != 0:
            raise StepError(
                _failure("skaffold run", code, self.ctx.store.state), fix="see the workloads below"
            )
        return f"skaffold run finished (iteration {self.ctx.store.state.deploy.iteration})"

    def start_dev(self, progress: Progress) -> str:
        """`skaffold dev` in the background; the step ends when the first deploy stabilised."""
        self._thread = threading.Thread(
            target=self._run, args=("dev", None), name="skaffold-dev", daemon=True
        )
        self._thread.start()
        progress("skaffold dev: building and deploying")
        deploy = await_first_deploy(
            self.ctx,
            "skaffold dev",
            lambda d: d.iteration >= 1 and d.phase in ("watching", "deployed"),
            lambda code: StepError(_failure("skaffold dev", code, self.ctx.store.state)),
        )
        return f"skaffold dev is watching for changes (iteration {deploy.iteration})"

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
