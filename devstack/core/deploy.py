"""The deploy tool's state (skaffold run/dev): phase, iteration, artifacts, rollouts, output."""

from __future__ import annotations

from dataclasses import dataclass

MAX_LINES = 400
MAX_ERRORS = 12
MAX_PENDING = 2000
DEV_LOOP_MODES = ("dev", "up")
"""The deploy state's modes that are a dev loop: `skaffold dev`, `tilt up`."""


@dataclass(frozen=True)
class DeployState:
    """What the deploy tool is doing, as read from its output.

    Attributes:
        phase: idle, building, deploying, stabilizing, deployed, watching, cleaning-up, failed, done,
            stopped (devstack stopped it), removed (`down` deleted what it deployed).
        iteration: 1 for the first build/deploy; `skaffold dev` redeploys count up.
        artifacts: (image, status) with status building, built, cached or failed.
        rollouts: (deployment, status, message) with status waiting, ready or failed.
        lines: The last output lines (for the log pane).
        errors: The last error lines (kept for `up`'s verdict and the report).
        exit_code: Set once the tool exited.
        channel: How devstack follows the tool: "" (not started), `pending` (deciding), `events`
            (its event API) or `log` (its output text, the fallback); `channel_detail` says why.
        tags: (artifact, deployed image reference) of the current iteration.
        pending: (time, line) read while the channel was undecided, replayed if it becomes `log`.
    """

    tool: str = ""
    mode: str = ""
    """The tool's command: `dev`/`run` (skaffold), `up`/`ci` (tilt)."""
    command: tuple[str, ...] = ()
    phase: str = "idle"
    iteration: int = 0
    artifacts: tuple[tuple[str, str], ...] = ()
    rollouts: tuple[tuple[str, str, str], ...] = ()
    lines: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    exit_code: int | None = None
    started_at: float | None = None
    channel: str = ""
    channel_detail: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    pending: tuple[tuple[float, str], ...] = ()

    @property
    def dev_loop(self) -> bool:
        """The tool runs a dev loop (`skaffold dev`, `tilt up`), not one deploy (`run`, `ci`)."""
        return self.mode in DEV_LOOP_MODES

    def rollout(self, name: str) -> tuple[str, str] | None:
        """(status, message) of a deployment's rollout as skaffold reported it."""
        return next(((s, m) for n, s, m in self.rollouts if n == name), None)


def upsert(rows: tuple[tuple[str, ...], ...], key: str, row: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Replace the row whose first field is `key`, or append it."""
    if any(r[0] == key for r in rows):
        return tuple(row if r[0] == key else r for r in rows)
    return (*rows, row)
