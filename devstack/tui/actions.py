"""The app's key actions. Each one picks its target from the screen and hands the blocking part to
a thread worker; every worker failure lands in one handler (`on_worker_state_changed`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

from devstack.errors import DevstackError
from devstack.tui.messages import LogLines
from devstack.tui.object_actions import ObjectActions
from devstack.tui.screens.main import MainScreen

if TYPE_CHECKING:
    from devstack.engine.session import Session
    from devstack.tui.frames import Frame
    from devstack.tui.subjects import Subject
    from devstack.tui.widgets.filterbar import FilterBar

Done = Callable[[Any], str | None]


class ActionsApp(ObjectActions):
    """Key actions and the worker plumbing; `DevstackApp` adds the lifecycle."""

    session: Session
    frame: Frame | None
    _done: dict[str, Done]
    _log_cancel: threading.Event | None

    # ------------------------------------------------------------------ workers
    def work(self, name: str, job: Callable[[], Any], done: Done | None = None) -> Worker[Any]:
        """Run `job` in a thread worker; `done(result)` may return a message to show."""
        if done is not None:
            self._done[name] = done
        return self.run_worker(job, name=name, group=name, thread=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker results and failures become what the user sees."""
        worker = event.worker
        if event.state is WorkerState.ERROR:
            self.report(worker.name, worker.error)
        elif event.state is WorkerState.SUCCESS:
            done = self._done.pop(worker.name, None)
            message = done(worker.result) if done is not None else None
            if message:
                self.notify(message, title=worker.name)

    def report(self, what: str, error: BaseException | None) -> None:
        """A failure with its title, cause and fix."""
        if isinstance(error, DevstackError):
            text = error.message + (f"\nfix: {error.fix}" if error.fix else "")
        else:
            text = f"{type(error).__name__}: {error}"
        self.notify(text, title=f"{what} failed", severity="error", timeout=12)

    # ------------------------------------------------------------------ selection
    @property
    def main(self) -> MainScreen:
        """The dashboard (always at the bottom of the screen stack)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def _subject(self) -> Subject | None:
        """What the detail view on top explains (None on the dashboard)."""
        from devstack.tui.subjects import Subject

        subject = getattr(self.screen, "subject", None)
        return subject if isinstance(subject, Subject) else None

    def selected_pod(self) -> str | None:
        """The pod the user means: the detail view's (its pod, or the pod its event is about),
        else the Pods pane's selection."""
        from devstack.tui.subjects import pod_of

        subject = self._subject()
        if subject is not None:
            return pod_of(self.frame, subject) if self.frame is not None else None
        return self.main.pane("pods").selected_key

    def _back_to_dashboard(self) -> None:
        """Close the detail view (an action from it shows its result on the dashboard)."""
        if self._subject() is not None:
            self.pop_screen()

    def _container_of(self, pod_key: str) -> str:
        pod = self.session.store.state.pods.get(pod_key)
        if pod is None:
            return ""
        app = [c for c in pod.containers if not c.init]
        troubled = next((c for c in app if not c.ready), None)
        return (troubled or (app[0] if app else None) or pod.containers[0]).name if pod.containers else ""

    # ------------------------------------------------------------------ actions
    def action_up(self) -> None:
        """Bring the stack up (in the background)."""
        if self.session.running:
            self.notify("up is already running", title="up")
            return
        self.work("up", self.session.start_up, lambda started: None if started else "up is already running")

    def action_down(self) -> None:
        """Remove the stack (asks first)."""
        from devstack.tui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.work("down", self.session.down, lambda out: f"down: {out}")

        self.push_screen(
            ConfirmScreen("Remove the stack?", removal_text(self.session.store.state.deploy.tool)),
            answered,
        )

    def action_logs(self) -> None:
        """Follow the selected pod's log; on the same pod again, back to the deploy output."""
        if not self.main.ready:
            return
        key = self.selected_pod()
        self._back_to_dashboard()
        log = self.main.log_pane
        self.main.select_tab("log")
        if key is None or log.source == f"pod:{key}":
            self._stop_following()
            log.back_to_deploy()
            if key is None:
                self.notify("select a pod first (Pods pane)", title="logs")
            return
        self._stop_following()
        container = self._container_of(key)
        stream = log.follow(key, container)
        cancel = self._log_cancel = threading.Event()

        def deliver(lines: list[str]) -> None:
            self.post_message(LogLines(stream, lines))

        name = key.split("/", 1)[-1]
        self.work("logs", lambda: self.session.stream_logs(name, container, deliver, cancel))

    def _stop_following(self) -> None:
        if self._log_cancel is not None:
            self._log_cancel.set()
            self._log_cancel = None

    def on_log_lines(self, message: LogLines) -> None:
        """A batch of the followed log."""
        self.main.log_pane.add_pod_lines(message.stream, message.lines)

    def action_restart(self) -> None:
        """Rollout-restart the selected workload, or re-open the forwards (Forwards pane)."""
        subject = self._subject()
        pane = self.main.focused_pane if subject is None else f"{subject.kind}s"
        if pane == "forwards":
            self.work("restart forwards", self.session.restart_forwards, lambda _: "forwards re-opened")
            return
        name = self._selected_workload(pane)
        if name is None:
            self.notify("select a pod or workload first", title="restart")
            return
        self.work(
            "restart", lambda: self.session.restart_workload(name), lambda _: f"deployment/{name} restarted"
        )

    def _selected_workload(self, pane: str) -> str | None:
        from devstack.core.explain import workload_of

        state = self.session.store.state
        subject = self._subject()
        if pane == "workloads":
            key = subject.key if subject is not None else self.main.pane("workloads").selected_key
            deployment = state.deployments.get(key) if key else None
            return deployment.name if deployment else None
        key = self.selected_pod()
        pod = state.pods.get(key) if key else None
        deployment = workload_of(state, pod) if pod else None
        return deployment.name if deployment else None

    def action_delete_pod(self) -> None:
        """Delete the selected pod (asks first)."""
        from devstack.tui.screens.confirm import ConfirmScreen

        key = self.selected_pod()
        if key is None:
            self.notify("select a pod first (Pods pane)", title="delete")
            return
        name = key.split("/", 1)[-1]

        def answered(yes: bool | None) -> None:
            if yes:
                self.work("delete", lambda: self.session.delete_pod(name), lambda _: f"pod {name} deleted")

        self.push_screen(ConfirmScreen(f"Delete pod {name}?", "Its ReplicaSet starts a new one."), answered)

    def action_checks(self) -> None:
        """Run the checks now."""
        self.main.select_tab("checks")

        def done(results: list[Any]) -> str:
            passed = sum(1 for r in results if r.ok)
            return f"{passed}/{len(results)} checks passed"

        self.work("checks", self.session.run_checks, done)

    def action_open(self) -> None:
        """Open the frontend in the browser."""
        import webbrowser

        url = self.session.frontend_url
        if not url:
            self.notify("the profile names no frontend forward to open", title="open")
            return
        self.work(
            "open",
            lambda: webbrowser.open(url),
            lambda ok: f"opened {url}" if ok else f"no browser: open {url}",
        )

    def action_filter(self) -> None:
        """Filter the focused pane (the Pods pane by default)."""
        if not self.main.ready:
            return
        target = self.main.focused_pane
        widget = self.main.query_one(f"#{target}")
        current = getattr(widget, "filter_text", "")
        self.main.filter_bar.open_for(target, current)

    def on_filter_bar_applied(self, message: FilterBar.Applied) -> None:
        """Apply the filter to its pane and repaint."""
        self._apply_filter(self.main.filter_bar.target or "pods", message.text, focus=message.done)

    def action_clear_filter(self) -> None:
        """Escape on a filtered pane: show every row again."""
        if not self.main.ready:
            return
        target = self.main.focused_pane
        if getattr(self.main.query_one(f"#{target}"), "filter_text", ""):
            self._apply_filter(target, "", focus=False)

    def _apply_filter(self, target: str, text: str, *, focus: bool) -> None:
        widget = self.main.query_one(f"#{target}")
        if widget is self.main.log_pane:
            widget.set_filter(text)
        else:
            self.main.pane(target).set_filter(text)
            if self.frame is not None:
                self.main.show(self.frame)
        if focus:
            widget.focus()

    def action_profile(self) -> None:
        """Switch to another profile (asks first when the dev loop runs)."""
        from devstack.tui.screens.confirm import ConfirmScreen
        from devstack.tui.screens.profiles import ProfilePicker

        profiles = self.session.profiles()
        if not profiles:
            self.notify("no other profile found", title="profile")
            return
        current = self.session.store.state.profile

        def switch(name: str) -> None:
            self._stop_following()

            def job() -> bool:
                self.session.switch_profile(name)
                return self.session.start_up()

            self.work("profile", job, lambda _: f"switched to profile {name}")

        def picked(name: str | None) -> None:
            if not name or name == current:
                return
            if self.session.dev_loop_running:
                question = ConfirmScreen(f"Switch to {name}?", f"This stops the dev loop of {current}.")
                self.push_screen(question, lambda yes: switch(name) if yes else None)
            else:
                switch(name)

        self.push_screen(ProfilePicker(profiles, current), picked)

    def action_timeline(self) -> None:
        """The dev loop's timeline overlay."""
        from devstack.tui.screens.timeline import TimelineScreen

        if self.frame is not None and not isinstance(self.screen, TimelineScreen):
            self.push_screen(TimelineScreen(self.frame, self.session.clock))

    def action_help(self) -> None:
        """The key overlay."""
        from devstack.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.session.frontend_url))

    def on_data_table_row_selected(self, event: Any) -> None:
        """`enter` (or a second click) on a row: why is this red?"""
        from devstack.tui.screens.detail import DetailScreen
        from devstack.tui.screens.main import SUBJECT_OF
        from devstack.tui.subjects import Subject

        pane = event.data_table.id or ""
        kind = SUBJECT_OF.get(pane)
        if kind is None or self.frame is None or event.row_key.value is None:
            return
        key = str(event.row_key.value)
        if kind == "check":
            from devstack.tui.widgets.checks import ChecksPane

            key = ChecksPane.check_name(key)
        self.push_screen(DetailScreen(Subject(kind, key), self.frame))


def removal_text(tool: str) -> str:
    """What `d` does, in the deploy tool's words."""
    if tool == "tilt":
        return "Stops tilt up and the forwards, then tilt down."
    return "Stops skaffold dev and the forwards, then skaffold delete."
