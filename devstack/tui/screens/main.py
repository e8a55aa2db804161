"""The main screen: header, `up` steps, and the panes (all at once when wide, tabbed when small).

The first frame holds the header, the steps and the Pods pane; the other panes, the tab bar, the
filter input and the footer are `Deferred` (built and mounted right after it, their modules
imported only then), which keeps start-up close to that of a bare Textual app with one table.
`ready` is set once every pane is there.

At 120x34 and more every pane is on screen (a 2-column grid, Pods over two rows). Below that
(80x24) the Pods pane stays on top and one other pane shows under it, picked with the tab bar
(or by the action that needs it: `l` shows the Log, `c` the Checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Grid
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget

from devstack.tui.messages import PaneReady, StateChanged
from devstack.tui.widgets.deferred import Deferred
from devstack.tui.widgets.header import StatusHeader
from devstack.tui.widgets.pods import PodsPane
from devstack.tui.widgets.steps import StepsBar
from devstack.tui.widgets.table import KeyedTable

if TYPE_CHECKING:
    from devstack.tui.frames import Frame
    from devstack.tui.widgets.filterbar import FilterBar
    from devstack.tui.widgets.logpane import LogPane

WIDE = (120, 34)
LAZY = ("workloads", "services", "forwards", "checks", "events", "log")
TABBED = ("log", "workloads", "services", "forwards", "checks", "events")
TAB_LABELS = {
    "log": "Log",
    "workloads": "Workloads",
    "services": "Services",
    "forwards": "Forwards",
    "checks": "Checks",
    "events": "Events",
}
# Which subject kind a pane's rows are ("enter" explains them).
SUBJECT_OF = {
    "pods": "pod",
    "workloads": "workload",
    "services": "service",
    "forwards": "forward",
    "checks": "check",
    "events": "event",
}


class MainScreen(Screen[None]):
    """Every pane of the dashboard; `show(frame)` repaints them all."""

    def __init__(self) -> None:
        super().__init__()
        self.compact = False
        self.selected_tab = "log"
        self.ready = False

    def compose(self) -> ComposeResult:
        """Header, steps, tab bar (small terminals), the panes, the filter input, the footer."""
        yield StatusHeader(id="header")
        yield StepsBar(id="steps")
        yield Deferred(_tabs)
        with Grid(id="panes"):
            yield PodsPane(id="pods")
            for name in LAZY:
                yield Deferred(lambda name=name: _pane(name))  # type: ignore[misc]
        yield Deferred(_filter_bar)
        yield Deferred(_footer)

    def on_mount(self) -> None:
        """The Pods pane has the focus; the rest follows once the lazy panes are mounted."""
        self.query_one(PodsPane).focus()
        self._check_ready()

    def on_pane_ready(self, _message: PaneReady) -> None:
        """A lazy pane arrived."""
        self._check_ready()

    def _check_ready(self) -> None:
        if self.ready or not all(self.query(f"#{name}") for name in (*LAZY, "tabs", "filter")):
            return
        self.query_one("#filter").display = False
        self.ready = True
        self.apply_layout(self.app.size.width, self.app.size.height)
        self.app.post_message(StateChanged(now=True))

    def on_resize(self, event: Resize) -> None:
        """Switch between the wide grid and the tabbed layout."""
        self.apply_layout(event.size.width, event.size.height)

    def apply_layout(self, width: int, height: int) -> None:
        """Wide: every pane; compact: Pods plus the selected tab's pane."""
        self.compact = width < WIDE[0] or height < WIDE[1]
        self.set_class(self.compact, "-compact")
        if not self.ready:
            return
        for name in TABBED:
            self.query_one(f"#{name}").set_class(name == self.selected_tab, "-selected")

    def select_tab(self, name: str) -> None:
        """Show a pane in the compact layout (no-op when every pane is visible)."""
        if name not in TABBED or not self.ready:
            return
        self.selected_tab = name
        tabs: Any = self.query_one("#tabs")
        if tabs.active != f"tab-{name}":
            tabs.active = f"tab-{name}"
        self.apply_layout(self.app.size.width, self.app.size.height)

    def on_tabs_tab_activated(self, event: Any) -> None:
        """The tab bar picks the pane under Pods."""
        if event.tab.id:
            self.selected_tab = event.tab.id.removeprefix("tab-")
            self.apply_layout(self.app.size.width, self.app.size.height)

    def show(self, frame: Frame) -> None:
        """Repaint every pane from one frame (nothing before the panes are mounted)."""
        headers, steps = self.query(StatusHeader), self.query(StepsBar)
        if not self.ready or not headers or not steps:
            return  # not mounted yet, or being taken down as the app exits
        headers.first().show(frame)
        steps.first().show(frame.state)
        for pane in self.query(KeyedTable):
            pane.show(frame)
        deploy = frame.state.deploy
        self.log_pane.show_deploy(deploy.tool, deploy.mode, deploy.lines)

    def next_age_change(self, now: float) -> float | None:
        """Seconds until an age shown in a pane on screen changes (None: nothing ticks)."""
        if not self.ready:
            return None
        delays = [pane.next_age_change(now) for pane in self.query(KeyedTable) if pane.region.area]
        return min((d for d in delays if d is not None), default=None)

    def pane(self, name: str) -> KeyedTable:
        """A table pane by id (pods, workloads, services, forwards, checks, events)."""
        return self.query_one(f"#{name}", KeyedTable)

    @property
    def log_pane(self) -> LogPane:
        """The Log pane (mounted once `ready`)."""
        from devstack.tui.widgets.logpane import LogPane

        return self.query_one("#log", LogPane)

    @property
    def filter_bar(self) -> FilterBar:
        """The `/` input (mounted once `ready`)."""
        from devstack.tui.widgets.filterbar import FilterBar

        return self.query_one("#filter", FilterBar)

    @property
    def focused_pane(self) -> str:
        """The id of the pane with the focus ("pods" when none has it)."""
        from devstack.tui.widgets.logpane import LogPane

        focused = self.focused
        if isinstance(focused, (KeyedTable, LogPane)) and focused.id:
            return focused.id
        return "pods"


def _tabs() -> Widget:
    from devstack.tui.widgets.tabs import PaneTabs

    return PaneTabs(TAB_LABELS, id="tabs")


def _footer() -> Widget:
    from devstack.tui.widgets.footer import KeyFooter

    return KeyFooter()


def _filter_bar() -> Widget:
    from devstack.tui.widgets.filterbar import FilterBar

    return FilterBar(id="filter")


def _pane(name: str) -> Widget:
    """A pane built after the first frame (its module imported only then)."""
    from devstack.tui.widgets.checks import ChecksPane
    from devstack.tui.widgets.forwards import ForwardsPane
    from devstack.tui.widgets.kube_events import KubeEventsPane
    from devstack.tui.widgets.logpane import LogPane
    from devstack.tui.widgets.services import ServicesPane
    from devstack.tui.widgets.workloads import WorkloadsPane

    kinds: dict[str, type[Widget]] = {
        "workloads": WorkloadsPane,
        "services": ServicesPane,
        "forwards": ForwardsPane,
        "checks": ChecksPane,
        "events": KubeEventsPane,
        "log": LogPane,
    }
    return kinds[name](id=name, classes="pane")
