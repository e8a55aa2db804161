"""`DevstackApp`: the terminal app, a view of one `Session`'s store.

The session (engine + store) is handed in, as harlequin hands in its adapter. The app subscribes
to the store through the `Bridge` (coalesced repaints), renders `Frame`s of the state, and turns
keys into session calls in thread workers. The engine is prepared after the first frame, so
neither the profile loader nor the `kubernetes` client delays it.

Exit (`q`, Ctrl-C, SIGTERM, SIGHUP, SIGINT): the session stops the dev loop, forwards and watches
in a worker, then the app exits and Textual restores the terminal; the caller then `close()`s the
session (children reaped, demo removed).
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import SystemCommand
from textual.binding import BindingType
from textual.screen import Screen
from textual.timer import Timer

from devstack.exitcodes import INTERRUPTED
from devstack.tui import keys
from devstack.tui.actions import ActionsApp
from devstack.tui.bridge import INTERVAL, Bridge
from devstack.tui.messages import StateChanged
from devstack.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from devstack.core.state import State
    from devstack.engine.session import Session
    from devstack.tui.frames import Frame, FrameBuilder

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
STOP_GRACE = 30.0
HANGUP_GRACE = 5.0


class DevstackApp(ActionsApp):
    """The dashboard for one session.

    Args:
        session: The engine and store to show (an offline session renders a fixed state).
        autostart: Run `up` once the engine is prepared (unless the walkthrough is shown).
        tour: True shows the walkthrough, False never, None on the first launch or without a
            cluster.
        watch: Without `autostart`, watch the namespace (no deploy) once prepared.
        interval: Seconds between repaints at most (the bridge coalesces everything in between).
        state_dir: Where the walkthrough is remembered as seen (None: nowhere, every launch is
            a first launch).
        tour_name: Which walkthrough record (`devstack demo` keeps its own).
    """

    CSS_PATH = "app.tcss"
    TITLE = "devstack"
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings()

    def __init__(
        self,
        session: Session,
        *,
        autostart: bool = False,
        tour: bool | None = None,
        watch: bool = False,
        interval: float = INTERVAL,
        state_dir: Path | None = None,
        tour_name: str = "devstack",
    ) -> None:
        super().__init__()
        self.state_dir = state_dir
        self.tour_name = tour_name
        self.session = session
        self.autostart = autostart
        self.tour = tour
        self.watch_only = watch
        self.interval = interval
        self.bridge: Bridge | None = None
        self._age_timer: Timer | None = None
        self._model: FrameBuilder | None = None
        self.frame: Frame | None = None
        self._done = {}
        self._log_cancel: threading.Event | None = None
        self._previous_handlers: dict[int, Any] = {}
        self._stopping = False
        self._exited = threading.Event()
        self.exit_code = 0

    def get_default_screen(self) -> Screen[Any]:
        """The dashboard."""
        return MainScreen()

    # ------------------------------------------------------------------ lifecycle
    @property
    def model(self) -> FrameBuilder:
        """What the panes share per repaint (the core's explanations load with it)."""
        if self._model is None:
            from devstack.tui.frames import FrameBuilder

            self._model = FrameBuilder()
        return self._model

    def on_mount(self) -> None:
        """Listen for signals; everything else starts after the first frame."""
        self._install_signal_handlers()
        self.call_after_refresh(self._begin)

    def _begin(self) -> None:
        """After the first frame: listen to the store (and paint it), then prepare the engine.

        What start-up made lives as long as the app (modules, classes, the screen): it is moved
        out of the collector's sight (`gc.freeze`) and collection, off since a quick start
        (`entry.QUICK`), is on again.
        """
        gc.freeze()
        gc.enable()
        self.bridge = Bridge(self, self.session.store, self.paint, self.interval)
        self.bridge.attach()
        if self.session.has_engine:
            self.work("prepare", self._prepare, self._prepared)
        elif self.tour:
            self.open_walkthrough()

    def _prepare(self) -> bool | None:
        """Worker: load the profile / demo, and find out whether the cluster exists."""
        self.session.prepare()
        if self.tour is None and self.session.check_cluster:
            return self.session.cluster_exists()
        return None

    def _prepared(self, cluster_exists: bool | None) -> None:
        from devstack.tui.tour import tour_seen

        self.model.cluster = self.session.cluster_name
        seen = tour_seen(self.state_dir, self.tour_name)
        first_time = self.tour is None and (not seen or cluster_exists is False)
        if self.tour or first_time:
            self.open_walkthrough()
        elif self.autostart:
            self.action_up()
        elif self.watch_only:
            self.work("watch", self.session.start_watching)

    def open_walkthrough(self) -> None:
        """Show the first-run walkthrough (remembered as seen when it closes)."""
        from devstack.tui.screens.walkthrough import WalkthroughScreen

        frame = self.frame or self.model.frame(self.session.store.state, self.session.clock())
        self.push_screen(WalkthroughScreen(frame, self.session.frontend_url), self._walkthrough_closed)

    def _walkthrough_closed(self, completed: bool | None) -> None:
        from devstack.tui.tour import mark_tour

        mark_tour(self.state_dir, bool(completed), self.tour_name)

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the app; marks it finished for the signal watchdog however it ends."""
        try:
            return super().run(*args, **kwargs)
        finally:
            self._exited.set()

    def on_unmount(self) -> None:
        """Stop listening; give the signals back."""
        if self.bridge is not None:
            self.bridge.detach()
        if self._log_cancel is not None:
            self._log_cancel.set()
        self._restore_signal_handlers()

    # ------------------------------------------------------------------ state → screen
    def on_state_changed(self, message: StateChanged) -> None:
        """The store changed: repaint now or when the interval has passed."""
        if self.bridge is None:
            return
        if message.now:
            self.bridge.flush()
        else:
            self.bridge.on_state_changed()

    def paint(self, state: State) -> None:
        """Render one state on every screen that shows it."""
        self.frame = frame = self.model.frame(state, self.session.clock())
        for screen in self.screen_stack:
            show = getattr(screen, "show", None)  # main, detail and walkthrough screens
            if callable(show) and screen.is_mounted:
                show(frame)
        self._arm_age_clock(frame.now)

    def _arm_age_clock(self, now: float) -> None:
        """One timer for the moment an age on screen shows another text (no timer: none will).

        Ages below two minutes tick every second, older ones at the next minute or hour: an idle
        dashboard of old pods repaints once a minute, not every second.
        """
        if self._age_timer is not None:
            self._age_timer.stop()
            self._age_timer = None
        main = self.screen_stack[0] if self.screen_stack else None
        delay = main.next_age_change(now) if isinstance(main, MainScreen) else None
        if delay is not None and self.bridge is not None:
            self._age_timer = self.set_timer(delay + 0.01, self.bridge.poke, name="ages")

    # ------------------------------------------------------------------ exit
    async def action_quit(self) -> None:
        """Quit; asks first when that stops a running dev loop (or a running `up`)."""
        from devstack.tui.screens.confirm import ConfirmScreen

        if self.session.dev_loop_running or self.session.running:
            loop = "tilt up" if self.session.store.state.deploy.tool == "tilt" else "skaffold dev"
            question = ConfirmScreen(
                "Quit devstack?", f"This stops {loop} and the localhost forwards.", yes="Quit"
            )
            self.push_screen(question, lambda yes: self.shutdown() if yes else None)
        else:
            self.shutdown()

    def action_quit_now(self) -> None:
        """Ctrl-C: quit without asking (exit code 130, as for an interrupted command)."""
        self.shutdown(INTERRUPTED)

    def shutdown(self, code: int = 0) -> None:
        """Stop the session in a worker, then exit (a second request exits at once)."""
        if self._stopping:
            self.exit(return_code=code or self.exit_code)
            return
        self._stopping = True
        self.exit_code = code
        self._stop_following()
        if not self.session.has_engine:
            self.exit(return_code=code)
            return
        from devstack.tui.screens.confirm import BusyScreen

        self.push_screen(BusyScreen("Stopping the dev loop, the forwards and the watches…"))
        self.work("stop", self.session.stop, lambda _: self.exit(return_code=self.exit_code))
        self._done["stop-error"] = lambda _: None

    def report(self, what: str, error: BaseException | None) -> None:
        """Failures are shown; a failure while stopping still exits."""
        super().report(what, error)
        if what == "stop":
            self.exit(return_code=self.exit_code or 1)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for sig in EXIT_SIGNALS:
            self._previous_handlers[sig] = signal.getsignal(sig)
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _restore_signal_handlers(self) -> None:
        if not self._previous_handlers:
            return
        loop = asyncio.get_running_loop()
        for sig, previous in self._previous_handlers.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, previous)
        self._previous_handlers.clear()

    def _on_signal(self, sig: int) -> None:
        """SIGTERM/SIGINT: the same clean stop as `q` (exit code 128+n).

        SIGHUP usually means the terminal is gone, and Textual then blocks restoring it (writes to a
        dead tty never complete): if the app has not exited after `HANGUP_GRACE` seconds, the session
        is closed (children reaped, demo removed) from a thread and the process ends there. Any other
        stop that hangs is ended the same way after `STOP_GRACE` seconds.
        """
        delay = HANGUP_GRACE if sig == signal.SIGHUP else STOP_GRACE
        threading.Thread(target=self._close_and_exit, args=(128 + sig, delay), daemon=True).start()
        self.shutdown(128 + sig)

    def _close_and_exit(self, code: int, delay: float) -> None:
        if delay and self._exited.wait(delay):
            return
        try:
            self.session.close()
        finally:
            os._exit(code)

    # ------------------------------------------------------------------ palette
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every key's action in the command palette, plus Textual's own but its Quit (one Quit:
        ours, which asks first when the dev loop runs)."""
        for key in keys.APP_KEYS:
            if key.palette:
                help_text = key.text(self.session.frontend_url)
                yield SystemCommand(f"{key.label} ({key.shown})", help_text, self._palette_action(key.action))
        yield from (c for c in super().get_system_commands(screen) if c.title != "Quit")

    def _palette_action(self, action: str) -> Any:
        async def run() -> None:
            await self.run_action(action)

        return run
