"""The Checks pane: each check, and each of its steps ✓/✗ with the hint when it failed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from devstack.tui.format import coloured, mark
from devstack.tui.widgets.table import Cells, KeyedTable, SyncStats

if TYPE_CHECKING:
    from devstack.tui.frames import Frame


STEP_SEPARATOR = "/"


class ChecksPane(KeyedTable):
    """Rows keyed `check` and `check/step`; `enter` on either explains the check."""

    BORDER_TITLE = "Checks"
    COLUMNS = (("mark", " "), ("name", "CHECK"), ("detail", "DETAIL"))
    FLEX = ("name", "detail")

    def show(self, frame: Frame) -> SyncStats:
        """Sync with the state's check results (running checks marked …)."""
        state = frame.state
        rows: dict[str, Cells] = {}
        results = {r.name: r for r in state.checks}
        names = list(dict.fromkeys([*state.checks_running, *(r.name for r in state.checks)]))
        for name in names:
            result = results.get(name)
            running = name in state.checks_running
            status = "running" if running else ("ok" if result and result.ok else "fail")
            summary = "running…" if running else ("passed" if result and result.ok else "failed")
            rows[name] = (mark(status), Text(name, style="bold"), coloured(summary, status))
            for step in result.steps if result is not None else ():
                detail = step.detail if step.ok or not step.hint else f"{step.detail} → {step.hint}"
                rows[f"{name}{STEP_SEPARATOR}{step.name}"] = (
                    mark("ok" if step.ok else "fail"),
                    Text(f"  {step.name}"),
                    coloured(detail, "ok" if step.ok else "fail") if not step.ok else Text(detail),
                )
        self.border_subtitle = self._subtitle(frame)
        return self.sync(rows)

    @staticmethod
    def _subtitle(frame: Frame) -> str:
        checks = frame.state.checks
        if not checks:
            return ""
        passed = sum(1 for c in checks if c.ok)
        return f"{passed}/{len(checks)} passed"

    @staticmethod
    def check_name(row_key: str) -> str:
        """The check a row belongs to."""
        return row_key.split(STEP_SEPARATOR, 1)[0]
