"""The Services pane: ports and ready endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import coloured, level_mark
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


class ServicesPane(KeyedTable):
    """Services with their ports and how many endpoints are ready."""

    BORDER_TITLE = "Services"
    COLUMNS = (("mark", " "), ("name", "SERVICE"), ("ports", "PORTS"), ("endpoints", "READY EP"))
    FLEX = ("name", "ports")

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the state's services."""
        from devstack.core.health import explain_service

        state = frame.state
        ready: dict[tuple[str, str], list[int]] = {}
        for piece in state.endpointslices.values():
            counts = ready.setdefault((piece.namespace, piece.service), [0, 0])
            counts[0] += sum(1 for e in piece.endpoints if e.ready)
            counts[1] += len(piece.endpoints)
        rows: dict[str, Cells] = {}
        for service in sorted(state.services.values(), key=lambda s: s.name):
            verdict = explain_service(state, service)
            up, total = ready.get((service.namespace, service.name), [0, 0])
            ports = ",".join(f"{p.port}→{p.target_port}" for p in service.ports)
            rows[service.key] = (
                level_mark(verdict.level),
                Text(service.name),
                Text(ports),
                coloured(f"{up}/{total}", verdict.level.value),
            )
        return self.sync(rows)
