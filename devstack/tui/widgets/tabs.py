"""The tab bar of the compact layout: picks the pane shown under Pods."""

from __future__ import annotations

from textual.widgets import Tab, Tabs

from devstack.tui.messages import PaneReady


class PaneTabs(Tabs):
    """One tab per pane that the compact layout shows under Pods."""

    def __init__(self, labels: dict[str, str], *, id: str | None = None) -> None:
        super().__init__(*(Tab(label, id=f"tab-{name}") for name, label in labels.items()), id=id)

    def on_mount(self) -> None:
        """Tell the screen."""
        self.post_message(PaneReady())
