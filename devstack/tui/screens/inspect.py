"""Describe and YAML of one object (`i` / `y`): the text of `core/describe.py` or the YAML of
`views/manifest.py`, fetched in a worker and re-fetched with `r`.

In the YAML of a Secret every value is hidden; `v` picks one key whose value is shown decoded, in
this view only (it is never written anywhere), and picking it again hides it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from devstack.tui.keys import SCROLL_KEYS
from devstack.tui.objects import ObjectRef

if TYPE_CHECKING:
    from devstack.engine.inspect import Inspected

Loader = Callable[[], "Inspected"]
MODES = {"describe": "Describe", "yaml": "YAML"}


class InspectScreen(Screen[None]):
    """One object as `kubectl describe` shows it, or as YAML (managedFields and Secret values hidden)."""

    DEFAULT_CSS = """
    InspectScreen #inspect-title { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    InspectScreen #inspect-body { height: 1fr; padding: 0 1; border: round $accent; }
    InspectScreen #inspect-keys { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("q", "close", "Back", show=False),
        Binding("i", "mode('describe')", "Describe"),
        Binding("y", "mode('yaml')", "YAML"),
        Binding("v", "reveal", "Reveal a value", show=False),
        Binding("r", "refresh", "Refresh"),
        *SCROLL_KEYS,
    ]

    def __init__(
        self,
        ref: ObjectRef,
        mode: str = "describe",
        *,
        load: Loader | None = None,
        found: Inspected | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.ref = ref
        self.mode = mode
        self.found = found
        self.revealed: frozenset[str] = frozenset()
        self._load = load
        self._clock = clock
        self.error = ""

    def compose(self) -> ComposeResult:
        """Title, the scrollable text, the keys."""
        yield Static(id="inspect-title")
        with VerticalScroll(id="inspect-body"):
            yield Static(id="inspect-text")
        yield Static(id="inspect-keys")

    def on_mount(self) -> None:
        """Show what is there, and fetch the object when a loader was given."""
        self._paint()
        self.query_one("#inspect-body").focus()
        if self._load is not None:
            self.action_refresh()

    # ------------------------------------------------------------------ text
    @property
    def text(self) -> str:
        """The body as plain text (what is on screen)."""
        return self._body().plain

    def _body(self) -> Text:
        if self.found is None:
            return Text(
                self.error or f"reading {self.ref.title} …", style="italic" if not self.error else "red"
            )
        if self.mode == "yaml":
            from devstack.views.manifest import to_yaml

            return Text(to_yaml(self.found.obj, self.revealed))
        from devstack.core.describe import describe

        found = self.found
        return Text("\n".join(describe(found.obj, found.events, self._clock(), found.related)))

    def _paint(self) -> None:
        where = f" · namespace {self.ref.namespace}" if self.ref.namespace else ""
        self.query_one("#inspect-title", Static).update(Text(f"{MODES[self.mode]} {self.ref.title}{where}"))
        self.query_one("#inspect-text", Static).update(self._body())
        keys = "escape back · i describe · y YAML · r refresh · j/k scroll"
        if self.mode == "yaml" and self._secret_keys():
            shown = f" (shown: {', '.join(sorted(self.revealed))})" if self.revealed else ""
            keys += f" · v reveal a value{shown}"
        self.query_one("#inspect-keys", Static).update(Text(keys))

    def _secret_keys(self) -> list[str]:
        from devstack.core.manifest import secret_keys

        return secret_keys(self.found.obj) if self.found is not None else []

    # ------------------------------------------------------------------ actions
    def action_close(self) -> None:
        """Back to where the key was pressed."""
        self.dismiss(None)

    def action_mode(self, mode: str) -> None:
        """Switch between describe and YAML."""
        self.mode = mode
        self._paint()

    def action_scroll(self, where: str) -> None:
        """Scroll the text."""
        body = self.query_one("#inspect-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "home": body.scroll_home, "end": body.scroll_end}[
            where
        ]()

    def action_refresh(self) -> None:
        """Fetch the object (and its events) again."""
        load = self._load
        if load is None:
            return
        self.run_worker(load, name="describe", thread=True, exit_on_error=False)

    def on_worker_state_changed(self, event: object) -> None:
        """The fetch finished: show it, or say why not."""
        from textual.worker import WorkerState

        worker = getattr(event, "worker", None)
        if worker is None or worker.name != "describe":
            return
        if worker.state is WorkerState.SUCCESS:
            self.found, self.error = worker.result, ""
            self._paint()
        elif worker.state is WorkerState.ERROR:
            error = worker.error
            self.error = str(getattr(error, "message", "") or f"{type(error).__name__}: {error}")
            self._paint()

    def action_reveal(self) -> None:
        """Pick a Secret key whose value to show (or hide again)."""
        keys = self._secret_keys()
        if self.mode != "yaml" or not keys:
            self.notify("only the YAML of a Secret has values to reveal", title="reveal")
            return
        from devstack.tui.screens.keypicker import KeyPicker

        def picked(key: str | None) -> None:
            if key:
                self.revealed = self.revealed ^ {key}
                self._paint()

        self.app.push_screen(KeyPicker(keys, self.revealed), picked)
