"""What `devstack validate` reports: one `file:line: message` per problem, and the missing-helm error."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE

PLAIN_KEY = re.compile(r"[\w./-]+")
HELM_FIX = "install Helm 3.19+ or 4.x (https://helm.sh/docs/intro/install/) and make sure `helm` is on PATH"


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in the stack's files.

    Attributes:
        file: The file at fault, relative to the stack root when it lies inside it.
        line: The 1-based line of the offending node, or None when no single line is at fault.
        message: What is wrong, naming the key path when there is one.
    """

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


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


def dotted(path: tuple[str | int, ...] | list[str | int]) -> str:
    """Return a key path as ``a.b[0].c`` on one line (odd keys are quoted: ``a["x y"]``)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part)}]"
    return text
