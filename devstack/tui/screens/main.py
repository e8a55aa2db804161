"""The main screen: header, `up` steps, and the panes (all at once when wide, tabbed when small).

At 120x34 and more every pane is on screen (a 2-column grid, Pods over two rows). Below that
(80x24) the Pods pane stays on top and one other pane shows under it, picked with the tab bar
(or by the action that needs it: `l` shows the Log, `c` the Checks).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Tab, Tabs

from devstack.tui.messages import StateChanged
from devstack.tui.model import Frame
from devstack.tui.widgets.checks import ChecksPane
from devstack.tui.widgets.events import EventsPane
from devstack.tui.widgets.filterbar import FilterBar
from devstack.tui.widgets.forwards import ForwardsPane
from devstack.tui.widgets.header import StatusHeader
from devstack.tui.widgets.logpane import LogPane
from devstack.tui.widgets.pods import PodsPane
from devstack.tui.widgets.services import ServicesPane
from devstack.tui.widgets.steps import StepsBar
from devstack.tui.widgets.table import KeyedTable
from devstack.tui.widgets.workloads import WorkloadsPane

WIDE = (120, 34)
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
        yield Tabs(*(Tab(label, id=f"tab-{name}") for name, label in TAB_LABELS.items()), id="tabs")
        with Grid(id="panes"):
            yield PodsPane(id="pods")
            yield WorkloadsPane(id="workloads")
            yield ServicesPane(id="services")
            yield ForwardsPane(id="forwards")
            yield ChecksPane(id="checks")
            yield EventsPane(id="events")
            yield LogPane(id="log")
        yield FilterBar(id="filter")
        yield Footer()

    def on_mount(self) -> None:
        """Lay out for the current size; the Pods pane has the focus."""
        for name in TABBED:
            self.query_one(f"#{name}").add_class("pane")
        self.query_one("#filter").display = False
        self.apply_layout(self.app.size.width, self.app.size.height)
        self.query_one(PodsPane).focus()
        self.ready = True
        self.app.post_message(StateChanged())

    def on_resize(self, event: Resize) -> None:
        """Switch between the wide grid and the tabbed layout."""
        self.apply_layout(event.size.width, event.size.height)

    def apply_layout(self, width: int, height: int) -> None:
        """Wide: every pane; compact: Pods plus the selected tab's pane."""
        self.compact = width < WIDE[0] or height < WIDE[1]
        self.set_class(self.compact, "-compact")
        for name in TABBED:
            self.query_one(f"#{name}").set_class(name == self.selected_tab, "-selected")

    def select_tab(self, name: str) -> None:
        """Show a pane in the compact layout (no-op when every pane is visible)."""
        if name not in TABBED:
            return
        self.selected_tab = name
        tabs = self.query_one(Tabs)
        if tabs.active != f"tab-{name}":
            tabs.active = f"tab-{name}"
        self.apply_layout(self.app.size.width, self.app.size.height)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """The tab bar picks the pane under Pods."""
        if event.tab.id:
            self.selected_tab = event.tab.id.removeprefix("tab-")
            self.apply_layout(self.app.size.width, self.app.size.height)

    def show(self, frame: Frame) -> None:
        """Repaint every pane from one frame (nothing before the panes are mounted)."""
        if not self.ready:
            return
        self.query_one(StatusHeader).show(frame)
        self.query_one(StepsBar).show(frame.state)
        for pane in self.query(KeyedTable):
            pane.show(frame)
        deploy = frame.state.deploy
        self.query_one(LogPane).show_deploy(deploy.tool, deploy.mode, deploy.lines)

    def pane(self, name: str) -> KeyedTable:
        """A table pane by id (pods, workloads, services, forwards, checks, events)."""
        return self.query_one(f"#{name}", KeyedTable)

    @property
    def focused_pane(self) -> str:
        """The id of the pane with the focus ("pods" when none has it)."""
        focused = self.focused
        if isinstance(focused, (KeyedTable, LogPane)) and focused.id:
            return focused.id
        return "pods"
