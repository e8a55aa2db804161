"""What `devstack validate` reports: one `file:line: message` per problem, and the missing-helm error."""

from __future__ import annotations

from pathlib import Path

from devstack.core.versions import HELM_MINIMUM
from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE

HELM_FIX = (
    f"install Helm {HELM_MINIMUM[0]}.{HELM_MINIMUM[1]}+ or 4.x (https://helm.sh/docs/intro/install/) "
    "and make sure `helm` is on PATH"
)


class HelmMissing(DevstackError):
    """`helm` is not on PATH, so the chart cannot be rendered (exit code 3)."""

    def __init__(self) -> None:
        super().__init__("helm not found on PATH", fix=HELM_FIX, exit_code=MISSING_PREREQUISITE)


def shown_path(path: Path, root: Path) -> str:
    """Return ``path`` as reports show it: relative to ``root`` when inside it, else as given."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
