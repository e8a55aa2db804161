"""`Session`: the engine for one profile, as a front end (the TUI) drives it.

A session owns a `Store` and, once `prepare()` has built its `EngineContext`, runs `up` in a
background thread (interactive: `skaffold dev`), and offers the actions a front end needs:
checks, rollout restart, delete pod, down, following a pod's log, switching profile. Every method
that talks to the cluster blocks: front ends call them from worker threads. Results reach the
front end through the store (and, for log lines, a callback).

A session without an engine (`Session.offline`) is just a store and a clock: the TUI renders it,
and every action says that there is no engine. Snapshot tests use it with a fixed clock.

Nothing heavy is imported here at module level: the profile loader, the engine and the
`kubernetes` client load when `prepare()` or an action runs (after the TUI's first frame).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from devstack.engine.session_actions import NoEngine, SessionActions
from devstack.errors import DevstackError

if TYPE_CHECKING:
    from devstack.core.events import Event
    from devstack.core.store import Store
    from devstack.engine.context import EngineContext
    from devstack.engine.feed import ClusterFeed
    from devstack.engine.up import UpRun
    from devstack.sources.kube import BrowseWatch
    from devstack.sources.kubeapi import KubeApi

__all__ = ["NoEngine", "Session"]

ContextBuilder = Callable[["Store"], "EngineContext"]
ProfileBuilder = Callable[["Store", str], "EngineContext"]
"""Builds the engine context of another profile of the stack, by name (`switch_profile`)."""
Clock = Callable[[], float]
STOP_JOIN = 30.0


class Session(SessionActions):
    """The engine for one profile: `prepare`, `start_up`, actions (`SessionActions`), `stop`, `close`."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        build: ContextBuilder | None = None,
        build_profile: ProfileBuilder | None = None,
        clock: Clock = time.time,
        check_cluster: bool = True,
        take_over: bool = False,
    ):
        self._store = store
        self.clock = clock
        self.check_cluster = check_cluster
        self.take_over = take_over
        self.ctx: EngineContext | None = None
        self.last_exit_code: int | None = None
        self._build = build
        self._build_profile = build_profile
        self._cleanups: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._preparing = threading.Lock()
        self._closed = False
        self._run: UpRun | None = None
        self._up_thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self._api: KubeApi | None = None
        self._feed: ClusterFeed | None = None
        self._browse: BrowseWatch | None = None

    @property
    def store(self) -> Store:
        """The store every view renders (made on first use: the core loads after the first frame)."""
        if self._store is None:
            from devstack.core.store import Store

            self._store = Store()
        return self._store

    def _dispatch(self, event: Event) -> None:
        self.store.dispatch(event)

    def _session_started(self) -> None:
        from devstack.core.events import SessionStarted
        from devstack.core.pipeline import UP_STEPS, step_names

        assert self.ctx is not None
        names = step_names(UP_STEPS)
        self._dispatch(SessionStarted("tui", self.ctx.profile.name, self.ctx.context, names, self.ctx.plan))

    def _step_failed(self, step: str, message: str, fix: str = "") -> None:
        from devstack.core.events import StepFailed

        self._dispatch(StepFailed(step, message, at=self.clock(), fix=fix))

    # ------------------------------------------------------------------ construction
    @classmethod
    def offline(cls, store: Store, clock: Clock = time.time) -> Session:
        """A session without an engine: a store to render and a clock for ages."""
        return cls(store, clock=clock, check_cluster=False)

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` in `close()` (after the engine stopped), last added first."""
        self._cleanups.append(cleanup)

    # ------------------------------------------------------------------ facts
    @property
    def has_engine(self) -> bool:
        """False for an offline session."""
        return self._build is not None

    @property
    def prepared(self) -> bool:
        """`prepare()` built the engine context."""
        return self.ctx is not None

    @property
    def running(self) -> bool:
        """`up` is running its steps right now."""
        thread = self._up_thread
        return thread is not None and thread.is_alive()

    @property
    def dev_loop_running(self) -> bool:
        """A `skaffold dev` or `tilt up` is running (quitting would stop it)."""
        deploy = self.store.state.deploy
        return deploy.dev_loop and bool(deploy.tool) and deploy.exit_code is None

    @property
    def cluster_name(self) -> str:
        """The kind cluster's name (for `kind load` hints), "" otherwise."""
        return "" if self.ctx is None else self.ctx.profile.kind_cluster

    @property
    def frontend_url(self) -> str:
        """Where the browser opens the frontend: from the profile (or the state's plan and forwards
        for a session without one); "" when nothing says."""
        if self.ctx is not None:
            return self.ctx.plan.frontend_url
        state = self.store.state
        if state.plan is not None:
            return state.plan.frontend_url
        forward = state.forwards.get("frontend")
        return f"http://localhost:{forward.local_port}" if forward is not None else ""

    def profiles(self) -> list[str]:
        """Names of the profiles next to the current one."""
        if self.ctx is None:
            return []
        return sorted(p.stem for p in (self.ctx.loaded.root / "profiles").glob("*.y*ml"))

    def _context(self, what: str) -> EngineContext:
        if not self.has_engine:
            raise NoEngine(what)
        if self.ctx is None:
            self.prepare()
        assert self.ctx is not None
        return self.ctx

    # ------------------------------------------------------------------ lifecycle
    def prepare(self) -> None:
        """Build the engine context (load the profile, set up the demo); blocking, idempotent.

        A failure is dispatched as a failed `profile` step (so every view shows it) and raised.
        """
        with self._preparing:
            if self.ctx is not None or self._build is None:
                return
            if self._closed:
                raise DevstackError("the session is closed")
            try:
                self.ctx = self._build(self.store)
            except DevstackError as err:
                self._step_failed("profile", err.message, err.fix)
                raise
        self._session_started()

    def cluster_exists(self) -> bool | None:
        """Whether the profile's cluster exists (None when it cannot be told, e.g. kind missing)."""
        ctx = self._context("cluster")
        if ctx.profile.cluster.provider != "kind":
            return True
        from devstack.sources import kind

        try:
            return ctx.profile.cluster.name in kind.clusters(ctx.tools)
        except DevstackError:
            return None

    def start_up(self) -> bool:
        """Run `up` in a background thread; False when it is already running.

        A previous run's dev loop, forwards and watches are stopped first (in that thread).
        """
        ctx = self._context("up")
        with self._lock:
            if self.running or self._closed:
                return False
            previous, self._run = self._run, None
            self._cancel = threading.Event()
            ctx.cancel = self._cancel
            thread = threading.Thread(target=self._up_main, args=(previous,), name="devstack-up", daemon=True)
            self._up_thread = thread
            thread.start()
        return True

    def start_watching(self) -> None:
        """Watch the namespace without deploying (blocking until listed): the panes show the cluster.

        `start_up` replaces these watches with its own.
        """
        from devstack.core.pipeline import GUARD
        from devstack.engine.feed import ClusterFeed, start_feed
        from devstack.engine.runner import Step, run_steps

        ctx = self._context("watch")
        if self._feed is not None or self._run is not None:
            return
        feed = self._feed = ClusterFeed(ctx)
        failure = run_steps(
            [Step(GUARD, lambda progress: start_feed(ctx, feed, progress))], self.store.dispatch
        )
        if failure is not None:
            self._stop_watching()
            raise failure

    def _stop_watching(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.stop()

    def _up_main(self, previous: UpRun | None) -> None:
        from devstack.engine.up import UpRun

        if previous is not None:
            previous.stop()
        assert self.ctx is not None
        self._stop_watching()
        run = UpRun(self.ctx, take_over=self.take_over)
        self._run = run
        try:
            self.last_exit_code = run.run()
        except DevstackError as err:
            self._step_failed("context", err.message, err.fix)
            self.last_exit_code = err.exit_code
        except Exception as err:  # noqa: BLE001 - shown in the state; the session keeps running
            message = f"internal error: {type(err).__name__}: {err}"
            self._step_failed("up", message)
            self.last_exit_code = 1

    def stop(self, keep_watches: bool = False) -> None:
        """Stop the dev loop, the forwards and (unless `keep_watches`) the watches; blocking."""
        self._cancel.set()
        run = self._run
        if run is not None:
            run.deploy.shutdown()
        thread = self._up_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_JOIN)
        if run is not None:
            run.stop(keep_watches=keep_watches)
            if not keep_watches:
                self._run = None
        if not keep_watches:
            self._stop_watching()
            self.stop_browse(announce=False)
            if self._api is not None:
                self._api.close()
                self._api = None

    def close(self) -> None:
        """`stop()`, reap every child process, then run the cleanups (e.g. remove the demo).

        Waits for a `prepare()` in progress, so what it sets up is removed too.
        """
        from devstack.sources.processes import reap_all

        with self._preparing:
            self._closed = True
        try:
            self.stop()
        finally:
            reap_all()
            while self._cleanups:
                self._cleanups.pop()()

    def switch_profile(self, name: str) -> None:
        """Stop everything and run another profile of the same stack.

        The context comes from the session's profile builder (the demo's keeps every profile on
        the demo's cluster, ports, tools and files); without one, the profile is loaded from the
        stack with the same tools and state dir. The context is refused (exit 2) unless the new
        profile allows it, before anything is stopped.
        """
        from devstack.engine.context import guard_context

        self._context("switch profile")
        build = self._build_profile or self._sibling_profile
        new = build(self.store, name)
        guard_context(new.loaded)
        self.stop()
        self.ctx = new
        self._session_started()

    def _sibling_profile(self, store: Store, name: str) -> EngineContext:
        """Another profile of the current stack, with the current tools and state dir."""
        from devstack.engine.context import EngineContext
        from devstack.profile import load

        assert self.ctx is not None
        ctx = self.ctx
        loaded = load(name, ctx.loaded.root, ctx.tools.settings().user)
        return EngineContext(loaded, store, ctx.tools, interactive=True, state_dir=ctx.state_dir)
