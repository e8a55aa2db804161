"""The keys a k9s user reaches for: describe (`i`), YAML (`y`), a shell (`s`) or a command (`e`) in a
pod, a workload's logs (`L`), another kind (`:`), and sorting (`N` `S` `A` `R`).

Each acts on `selected_ref()`: the row under the cursor in the kind browser, the object a "why is
this red?" view explains, or the selected row of the focused dashboard pane.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.app import App

from devstack.tui.objects import PANE_KINDS, SUBJECT_KINDS, ObjectRef, ref_of_key

if TYPE_CHECKING:
    from pathlib import Path

    from devstack.engine.session import Session
    from devstack.sources.execws import ExecCall
    from devstack.tui.screens.main import MainScreen

Done = Callable[[Any], str | None]
RETURN_PROMPT = b"\r\n-- press enter to return to devstack --"


class ObjectActions(App[int]):
    """Mixed into the app: actions on Kubernetes objects (the lifecycle keys live in `ActionsApp`)."""

    session: Session
    state_dir: Path | None

    @property
    def main(self) -> MainScreen:
        """The dashboard (see `ActionsApp.main`)."""
        raise NotImplementedError

    def work(self, name: str, job: Callable[[], Any], done: Done | None = None) -> Any:
        """Run `job` in a thread worker (see `ActionsApp.work`)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ selection
    def selected_ref(self) -> ObjectRef | None:
        """The object the user means (None when the focused pane shows no Kubernetes objects)."""
        from devstack.tui.screens.browse import BrowseScreen

        screen = self.screen
        if isinstance(screen, BrowseScreen):
            return screen.selected_ref()
        subject = getattr(screen, "subject", None)  # "why is this red?"
        if subject is not None:
            plural = SUBJECT_KINDS.get(subject.kind)
            return ref_of_key(plural, subject.key) if plural else None
        if not self.main.ready:
            return None
        pane = self.main.focused_pane
        if pane == "forwards":
            return self._forward_subject(self.main.pane(pane).selected_key)
        plural = PANE_KINDS.get(pane)
        key = self.main.pane(pane).selected_key if plural else None
        if plural is None or key is None:
            return None
        if plural == "events":
            return self._event_subject(key)
        return ref_of_key(plural, key)

    def _forward_subject(self, key: str | None) -> ObjectRef | None:
        """A forward means the Service it forwards to."""
        view = self.session.store.state.forwards.get(key) if key else None
        if view is None:
            return None
        return ObjectRef("services", self.session.namespace, view.service)

    def _event_subject(self, key: str) -> ObjectRef:
        """An event row means the object it is about, when devstack knows that kind."""
        from devstack.core.kinds import find_kind

        event = self.session.store.state.kube_events.get(key)
        spec = find_kind(event.object_kind) if event is not None and event.object_kind else None
        if event is None or spec is None or spec.plural == "events":
            return ref_of_key("events", key)
        return ObjectRef(spec.plural, event.namespace, event.object_name)

    def _pod_ref(self, what: str) -> ObjectRef | None:
        """The selected pod, or the first running pod of the selected workload."""
        from devstack.core.health import pods_of

        ref = self.selected_ref()
        if ref is not None and ref.plural == "deployments":
            state = self.session.store.state
            deployment = state.deployments.get(f"{ref.namespace}/{ref.name}")
            pods = pods_of(state, deployment) if deployment else []
            running = [p for p in pods if p.phase == "Running" and not p.deleting] or list(pods)
            ref = ObjectRef("pods", running[0].namespace, running[0].name) if running else None
        if ref is None or ref.plural != "pods":
            self.notify("select a pod (or a workload) first", title=what)
            return None
        return ref if self._in_profile_namespace(ref, what) else None

    def _in_profile_namespace(self, ref: ObjectRef, what: str) -> bool:
        """Shells and logs reach the profile's namespace only (the browser may show others)."""
        namespace = self.session.namespace
        if namespace and ref.namespace and ref.namespace != namespace:
            self.notify(
                f"{what} works in the profile's namespace {namespace}, not {ref.namespace}", title=what
            )
            return False
        return True

    # ------------------------------------------------------------------ describe / YAML
    def action_describe(self) -> None:
        """Describe the selected object."""
        self._inspect("describe")

    def action_yaml(self) -> None:
        """The selected object's YAML."""
        self._inspect("yaml")

    def _inspect(self, mode: str) -> None:
        ref = self.selected_ref()
        if ref is None:
            self.notify(
                "select a pod, workload, service or event first (or browse a kind with :)", title=mode
            )
            return
        self.open_inspect(ref, mode)

    def open_inspect(self, ref: ObjectRef, mode: str) -> None:
        """Push the describe / YAML view of `ref`, fetching it in a worker."""
        from devstack.tui.screens.inspect import InspectScreen

        session = self.session
        namespace = ref.namespace or None

        def load() -> Any:
            return session.inspect(ref.plural, ref.name, namespace)

        self.push_screen(InspectScreen(ref, mode, load=load, clock=session.clock))

    # ------------------------------------------------------------------ shell / exec
    def action_shell(self) -> None:
        """A shell in the selected pod's container (bash if it has one, else sh)."""
        from devstack.engine.podexec import SHELL

        ref = self._pod_ref("shell")
        if ref is not None:
            self._exec(ref, SHELL, wait=False, label="shell")

    def action_exec_command(self) -> None:
        """Ask for a command, then run it in the selected pod's container."""
        from devstack.tui.screens.prompt import PromptScreen

        ref = self._pod_ref("exec")
        if ref is None:
            return

        def answered(command: str | None) -> None:
            if command and command.strip():
                self._exec(ref, ("sh", "-c", command), wait=True, label=command.strip())

        self.push_screen(PromptScreen(f"Run in pod {ref.name}", "a command, run with sh -c"), answered)

    def _exec(self, ref: ObjectRef, command: tuple[str, ...], wait: bool, label: str) -> None:
        container = self._container_for(ref)
        self.work(
            "exec",
            lambda: self.session.exec_call(ref.name, container or None, command),
            lambda call: self._run_in_terminal(call, wait, label),
        )

    def _container_for(self, ref: ObjectRef) -> str:
        pod = self.session.store.state.pods.get(f"{ref.namespace}/{ref.name}")
        app = [c for c in pod.containers if not c.init] if pod is not None else []
        chosen = next((c for c in app if c.state == "running"), app[0] if app else None)
        return chosen.name if chosen is not None else ""

    def _run_in_terminal(self, call: ExecCall, wait: bool, label: str) -> str | None:
        """Suspend the app, give the terminal to the exec, come back when it ends."""
        from textual.app import SuspendNotSupported

        from devstack.errors import DevstackError

        result: dict[str, Any] = {}

        def session() -> None:
            try:
                result["code"] = self.session.exec_in_terminal(call)
                if wait:
                    _wait_for_enter()
            except DevstackError as err:
                result["error"] = err

        try:
            with self.suspend():
                thread = threading.Thread(target=session, name="exec-terminal", daemon=True)
                thread.start()
                thread.join()
        except SuspendNotSupported:
            return "this terminal cannot hand itself over: run devstack exec -it POD -- sh instead"
        self.refresh(layout=True)
        if "error" in result:
            self.notify(result["error"].message, title="exec failed", severity="error", timeout=12)
            return None
        return f"{label} in {call.pod} [{call.container}] exited with {result.get('code')}"

    # ------------------------------------------------------------------ logs / kinds / sort
    def action_workload_logs(self) -> None:
        """Logs of every pod of the selected workload (a bare pod: its own)."""
        from devstack.core.explain import workload_of
        from devstack.tui.screens.workload_logs import WorkloadLogsScreen

        ref = self.selected_ref()
        if ref is not None and ref.plural == "pods":
            state = self.session.store.state
            pod = state.pods.get(f"{ref.namespace}/{ref.name}")
            deployment = workload_of(state, pod) if pod is not None else None
            name = f"deployment/{deployment.name}" if deployment else f"pod/{ref.name}"
        elif ref is not None and ref.plural == "deployments":
            name = f"deployment/{ref.name}"
        else:
            self.notify("select a pod or a workload first", title="logs")
            return
        if not self._in_profile_namespace(ref, "logs"):
            return
        folder = self.state_dir / "logs" if self.state_dir is not None else None
        self.push_screen(WorkloadLogsScreen(name, folder))

    def action_kinds(self) -> None:
        """`:` — pick a kind to browse (in the namespace being browsed, else the profile's)."""
        from devstack.tui.screens.browse import BrowseScreen
        from devstack.tui.screens.kindpicker import KindPicker

        def picked(kind: str | None) -> None:
            if not kind:
                return
            screen = self.screen
            if isinstance(screen, BrowseScreen):
                screen.switch(kind)
                return
            self.push_screen(BrowseScreen(kind, self.session.namespace or "default"))

        self.push_screen(KindPicker(), picked)

    def action_sort(self, column: str) -> None:
        """Sort the focused table by a column (again: the other way)."""
        from devstack.tui.screens.browse import BrowseScreen
        from devstack.tui.widgets.table import KeyedTable

        screen = self.screen
        if isinstance(screen, BrowseScreen):
            table: KeyedTable = screen.table
        elif screen is self.main and self.main.ready and isinstance(self.main.focused, KeyedTable):
            table = self.main.focused
        elif screen is self.main and self.main.ready:
            table = self.main.pane("pods")
        else:
            return
        if not table.set_sort(column):
            title = str(table.border_title or table.id or "this table")
            self.notify(f"{title} cannot be sorted by {column}", title="sort")
            return
        if screen is self.main and getattr(self, "frame", None) is not None:
            self.main.show(self.frame)  # type: ignore[attr-defined]


def _wait_for_enter() -> None:
    """After a one-off command: keep its output on screen until enter."""
    os.write(1, RETURN_PROMPT)
    try:
        while True:
            data = os.read(0, 1024)
            if not data or b"\r" in data or b"\n" in data:
                break
    except OSError:
        return
