"""The deploy step with Tilt: `tilt ci` (headless/CI) or `tilt up` (interactive dev), and `tilt down`.

Tilt is started like every child: the one allowed context (`--context` and the private
kubeconfig of `ctx.tools.child_env()`), here with `--file`, `--namespace`, a free 127.0.0.1 web
port, a private `TILT_DEV_DIR` (removed when Tilt exits) and `-- --no-port-forwards`, the
Tiltfile's switch that leaves localhost:3000/8000 to devstack's forwarder (TILT.md §6).
Its output goes to the Log pane; its state is read from its API objects (`sources/tilt.py`).

Stopping: one SIGTERM to Tilt's process group. Tilt exits 0 when its teardown is quick, 1 when it
takes over 2 s (TILT.md §1.5); both are a normal stop (`DeployExited.requested`). A Tilt that
does not exit within `STOP_GRACE` gets SIGKILL on its whole group.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from devstack.core import events as ev
from devstack.core.model import Level
from devstack.core.state import State
from devstack.core.tilt import TILTFILE_RESOURCE, log_source, resolve_name
from devstack.core.tilt_explain import explain_exit
from devstack.engine.context import EngineContext
from devstack.engine.deploy_tool import await_first_deploy
from devstack.engine.runner import Progress, StepError
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources import processes
from devstack.sources.confine import private_folder
from devstack.sources.ports import free_local_port
from devstack.sources.stackfiles import Artifact, StackFiles
from devstack.sources.tilt import POLL_SECONDS, TiltHome, TiltPoller, tilt_args
from devstack.validation.tiltfile import TILTFILE, TiltFacts, missing_forward_switch, read_tiltfile

STOP_GRACE = 5.0
"""Seconds between the one SIGTERM and SIGKILL (Tilt itself gives up after 2 s)."""
CI_EXTRA = 30.0
"""`tilt ci` has its own `--timeout`; devstack stops it this much later if it overruns that."""
_ERROR = "ERROR: "
PORT_TAKEN = "Tilt cannot start because you already have another process on port"


class TiltRunner:
    """Runs `tilt ci` or `tilt up` as a child process; its state goes to the store."""

    def __init__(self, ctx: EngineContext):
        self.ctx = ctx
        self.stop = threading.Event()
        self.exit_code: int | None = None
        self.failing = ""
        self.last_error = ""
        self._thread: threading.Thread | None = None
        self.images = self._images()

    def _emit(self, event: ev.Event) -> None:
        self.ctx.store.dispatch(event)

    def _facts(self) -> TiltFacts | None:
        """What the Tiltfile says (None when it is not the stack's `Tiltfile` or cannot be read)."""
        if self.ctx.profile.deploy.tiltfile != TILTFILE:
            return None
        facts = read_tiltfile(self.ctx.loaded.root)
        return facts if isinstance(facts, TiltFacts) else None

    def watched_files(self) -> StackFiles | None:
        """What Tilt watches: the `docker_build` contexts, the chart and values `helm()` reads and
        the Tiltfile (None when the Tiltfile cannot be read: the trigger is then not named)."""
        facts = self._facts()
        if facts is None:
            return None
        contexts = facts.build_contexts
        artifacts = tuple(Artifact(image, context, False) for image, context in contexts.items())
        paths = [*contexts.values(), *([facts.chart] if facts.chart else []), *facts.values, TILTFILE]
        return StackFiles(self.ctx.loaded.root, artifacts, tuple(dict.fromkeys(paths)), syncs_known=False)

    def _images(self) -> tuple[tuple[str, str], ...]:
        """(image, `Tiltfile:N`) of the Tiltfile's `docker_build` calls (for explanations)."""
        facts = self._facts()
        images = facts.images if facts is not None else {}
        return tuple((image, f"{TILTFILE}:{line}") for image, line in images.items())

    def _on_line(self, line: str) -> None:
        self._emit(ev.DeployOutput(line, at=time.time()))
        shown, text = log_source(line)
        if text.startswith(_ERROR):
            # Tilt's error anchor line, in the log of the resource it names (none: the Tiltfile's)
            names = (*(r.name for r in self.ctx.store.state.tilt.resources), *(i for i, _ in self.images))
            self.failing = resolve_name(shown, names) if shown else TILTFILE_RESOURCE
        elif text.startswith("Error: ") and not shown:
            self.last_error = text.removeprefix("Error: ").strip()  # why the process ended

    def _command(self, command: str, timeout: float | None) -> tuple[list[str], dict[str, str], TiltHome]:
        """The command line, environment and private home of one `tilt up`/`tilt ci` (made in
        the caller's thread: a missing tool or a refused context fails the step, not a thread).

        Raises:
            DevstackError: tilt is not installed (exit 3), the allowed context is refused (exit 2).
        """
        program = self.ctx.tools.require("tilt")
        base = self.ctx.tools.child_env()
        deploy = self.ctx.profile.deploy
        home = TiltHome.create(program, free_local_port(), parent=private_folder())
        args = tilt_args(program, command, self.ctx.context, deploy.tiltfile, deploy.namespace, home)
        if command == "ci" and timeout is not None:
            args[2:2] = ["--timeout", f"{max(1, int(timeout))}s"]  # 0s would mean no timeout
        return args, home.env(base), home

    def _run(self, command: str, timeout: float | None) -> int:
        """Run `tilt <command>` to its end, polling its state meanwhile; started again on another
        port when its web port was taken between choosing it and Tilt binding it (TILT.md §1.4)."""
        code = -1
        for _attempt in range(3):
            code = self._attempt(*self._command(command, timeout), timeout)
            if code == 0 or self.stop.is_set() or not self.last_error.startswith(PORT_TAKEN):
                break
        self.exit_code = code
        self._emit(ev.DeployExited(code, at=time.time(), requested=self.stop.is_set()))
        return code

    def _attempt(self, args: list[str], env: dict[str, str], home: TiltHome, timeout: float | None) -> int:
        self.last_error = ""
        try:
            self._emit(ev.DeployStarted("tilt", tuple(args), args[1], at=time.time(), channel="events"))
            detail = f"Tilt's API objects (tilt get uiresources/session, every {POLL_SECONDS:.0f} s)"
            self._emit(ev.DeployChannel("events", detail, at=time.time()))
            self._emit(ev.TiltStarted(home.port, self.images, at=time.time()))
            poller = TiltPoller(home, env, self._emit, self.images).start()
            try:
                return processes.stream(
                    args,
                    self._on_line,
                    env=env,
                    cwd=str(self.ctx.loaded.root),
                    cancel=self.stop,
                    timeout=None if timeout is None else timeout + CI_EXTRA,
                    grace=STOP_GRACE,
                )
            finally:
                poller.stop()
        finally:
            home.remove()

    def _preflight(self) -> None:
        """Fail the step (not the thread that runs Tilt) when Tilt cannot start: not installed
        (exit 3), the allowed context refused (exit 2), or a Tiltfile without the switch that turns
        Tilt's forwards off (exit 2: Tilt would take the profile's ports, or fail on the argument)."""
        self.ctx.tools.require("tilt")
        self.ctx.tools.child_env()
        facts = self._facts()
        switch = missing_forward_switch(facts) if facts is not None else None
        if switch is not None:
            raise StepError(f"cannot run {TILTFILE} with Tilt's forwards off", fix=switch, exit_code=USAGE)

    def run_once(self, progress: Progress) -> str:
        """`tilt ci`: build, deploy and wait until every resource is ready; fails on a non-zero exit."""
        self._preflight()
        progress("tilt ci: building and deploying")
        timeout = self.ctx.timeout("deploy")
        code = self._run("ci", timeout)
        if code == processes.TIMED_OUT:
            raise StepError(f"tilt ci did not finish within {timeout:.0f}s")
        if code != 0:
            raise self._failure("tilt ci", code)
        return "tilt ci: all workloads healthy"

    def start_dev(self, progress: Progress) -> str:
        """`tilt up` in the background; the step ends when every resource's first update is done."""
        self._preflight()
        self._thread = threading.Thread(target=self._run, args=("up", None), name="tilt-up", daemon=True)
        self._thread.start()
        progress("tilt up: building and deploying")
        await_first_deploy(
            self.ctx, "tilt up", lambda d: d.phase == "deployed", lambda code: self._failure("tilt up", code)
        )
        return (
            f"tilt up is watching for changes ({len(self.ctx.store.state.tilt.workloads)} resources updated)"
        )

    def _failure(self, what: str, code: int | None) -> StepError:
        state: State = self.ctx.store.state
        # `tilt ci` may end before a read of its state saw the failure: its own words then
        view = state.tilt if state.tilt.images else replace(state.tilt, images=self.images)
        found = explain_exit(self.last_error, view, self.failing)
        exit_text = f" (exit {code})" if code is not None else ""
        if found is not None and found[1].level is Level.ERROR:
            name, verdict = found
            return StepError(f"{what} failed{exit_text}: {name}: {verdict.summary}", fix=verdict.action)
        said = (self.last_error,) if self.last_error else state.deploy.lines[-3:]
        errors = state.deploy.errors[-3:] or said
        return StepError(f"{what} failed{exit_text}: " + " | ".join(errors), fix="see the workloads below")

    def shutdown(self) -> None:
        """Stop a running `tilt up` (one SIGTERM to its group, SIGKILL after `STOP_GRACE`)."""
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_GRACE + 10)


def tilt_down(ctx: EngineContext) -> str:
    """`tilt down` with the profile's Tiltfile, namespace and the explicit context (TILT.md §3)."""
    program = ctx.tools.require("tilt")
    deploy = ctx.profile.deploy
    home = TiltHome.create(program, 0, parent=private_folder())
    try:
        args = tilt_args(program, "down", ctx.context, deploy.tiltfile, deploy.namespace, None)
        env = home.env(ctx.tools.child_env())
        result = processes.run(args, env=env, cwd=str(ctx.loaded.root), timeout=600)
    finally:
        home.remove()
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip())[-300:]
        raise DevstackError(f"tilt down failed (exit {result.returncode}): {said}")
    return (result.stdout + result.stderr).strip()
