"""The Pods pane: name, ready n/m, status or reason, restarts, age — red when unhealthy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import age, coloured, level_mark, parse_time
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.core.health import Explanation
    from devstack.core.kube import PodInfo
    from devstack.tui.model import Frame


class PodsPane(KeyedTable):
    """Every pod of the namespace, sorted by name; `enter` explains the selected one."""

    COLUMNS = (
        ("mark", " "),
        ("name", "NAME"),
        ("ready", "READY"),
        ("status", "STATUS"),
        ("restarts", "RESTARTS"),
        ("age", "AGE"),
    )

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(title="Pods", id=id, classes=classes)
        self._fixed: dict[str, tuple[PodInfo, Explanation, Cells]] = {}
        self._created: dict[str, float | None] = {}

    def show(self, frame: Frame) -> SyncStats:
        """Sync the rows with the frame's pods (cells rebuilt only for pods that changed)."""
        rows: dict[str, Cells] = {}
        fixed: dict[str, tuple[PodInfo, Explanation, Cells]] = {}
        for key, pod in frame.state.pods.items():
            verdict = frame.pods[key]
            entry = self._fixed.get(key)
            if entry is None or entry[0] is not pod or entry[1] is not verdict:
                entry = (pod, verdict, self._cells(pod, verdict))
                self._created[key] = parse_time(pod.created)
            fixed[key] = entry
            created = self._created.get(key)
            rows[key] = (*entry[2], age(frame.now - created if created is not None else None))
        self._fixed = fixed
        self._created = {k: v for k, v in self._created.items() if k in fixed}
        order = sorted(rows, key=lambda k: (frame.state.pods[k].name, k))
        stats = self.sync(rows, order)
        bad = sum(1 for v in frame.pods.values() if v.level.value == "error")
        self.border_subtitle = f"{len(rows)} pods" + (f", {bad} failing" if bad else "")
        return stats

    @staticmethod
    def _cells(pod: PodInfo, verdict: Explanation) -> Cells:
        ready, total = pod.ready_count
        status = pod.phase if verdict.level.value == "ok" else verdict.reason
        level = verdict.level.value
        restarts = Text(str(pod.restarts), style="yellow" if pod.restarts else "")
        return (
            level_mark(verdict.level),
            Text(pod.name),
            coloured(f"{ready}/{total}", "ok" if ready == total and total else level),
            coloured(status, level),
            restarts,
        )
