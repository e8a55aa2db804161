"""The Forwards pane: localhost port → pod, state, connections, bytes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import coloured, level_mark, size
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


class ForwardsPane(KeyedTable):
    """Every localhost forward of the profile (`r` re-opens them, `enter` explains)."""

    BORDER_TITLE = "Forwards"
    COLUMNS = (
        ("mark", " "),
        ("local", "LOCAL"),
        ("target", "TARGET"),
        ("state", "STATE"),
        ("conns", "CONN"),
        ("bytes", "IN/OUT"),
    )
    FLEX = ("target",)
    RIGHT = ("conns", "bytes")

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the state's forwards."""
        from devstack.core.explain import forward_level

        rows: dict[str, Cells] = {}
        for view in sorted(frame.state.forwards.values(), key=lambda v: v.local_port):
            level = forward_level(view)
            target = f"{view.pod}:{view.target_port}" if view.pod else f"{view.service}:{view.remote_port}"
            rows[view.name] = (
                level_mark(level),
                Text(f":{view.local_port}"),
                Text(target),
                coloured(view.status, level.value),
                Text(f"{view.active}/{view.connections}"),
                Text(f"{size(view.bytes_in)}/{size(view.bytes_out)}"),
            )
        return self.sync(rows)
