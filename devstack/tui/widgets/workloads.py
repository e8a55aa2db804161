"""The Workloads pane: each Deployment's replicas and verdict (`r` restarts it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.core.sorting import SortFields
from devstack.tui.format import coloured, level_mark, parse_time
from devstack.tui.widgets.pods import SEVERITY
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


class WorkloadsPane(KeyedTable):
    """Deployments with ready/wanted replicas and why they are not ready."""

    BORDER_TITLE = "Workloads"
    COLUMNS = (("mark", " "), ("name", "DEPLOYMENT"), ("ready", "READY"), ("status", "STATUS"))
    SORTABLE = ("name", "status", "age")
    FLEX = ("name", "status")

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the frame's workload verdicts."""
        rows: dict[str, Cells] = {}
        fields: dict[str, SortFields] = {}
        for deployment, verdict in frame.workloads:
            level = verdict.level.value
            rows[deployment.key] = (
                level_mark(verdict.level),
                Text(deployment.name),
                coloured(f"{deployment.ready_replicas}/{deployment.replicas}", level),
                coloured(verdict.reason, level),
            )
            created = parse_time(deployment.created)
            fields[deployment.key] = SortFields(
                deployment.name, verdict.reason, SEVERITY.get(level, 0), created
            )
        return self.sync(rows, self.sorted_order(fields) if self.ordering.column else None)
