"""`deploy.namespace` with placeholders: `{user}` and `{branch}`, so people share one cluster.

`namespace: "{user}-{branch}"` gives each developer and each branch a namespace of its own (e.g.
`alice-feat-login`): `{user}` is `$USER` (read by `Settings`, passed in), `{branch}` the git branch
checked out in the stack's repository (read from its `.git/HEAD`). Each value is lowercased, with
every run of characters a DNS label cannot hold written as one `-`; the result must be a DNS label
(RFC 1123: a-z, 0-9 and `-`, at most 63, starting and ending alphanumeric).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

PLACEHOLDERS = ("user", "branch")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_NOT_IN_LABEL = re.compile(r"[^a-z0-9]+")


class NamespaceError(ValueError):
    """The template cannot be expanded or does not give a DNS label (the message says why)."""


def placeholders(template: str) -> list[str]:
    """The `{name}` fields of a template (ValueError on a malformed one: a lone `{` or `}`)."""
    return [field for _text, field, _spec, _conv in string.Formatter().parse(template) if field is not None]


def is_template(namespace: str) -> bool:
    """The namespace holds placeholders (it is expanded per user and branch)."""
    return "{" in namespace or "}" in namespace


def as_label_part(value: str) -> str:
    """`value` lowercased, each run of characters a DNS label cannot hold as one `-`, trimmed."""
    return _NOT_IN_LABEL.sub("-", value.lower()).strip("-")


def git_branch(root: Path) -> str:
    """The branch checked out in the git repository holding `root` ("" when none: no repository,
    or a detached HEAD). Reads `.git/HEAD` (a worktree's `.git` file points at its own HEAD)."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        try:
            if dot_git.is_file():
                pointer = dot_git.read_text(encoding="utf-8").strip()
                if not pointer.startswith("gitdir:"):
                    return ""
                gitdir = Path(pointer.removeprefix("gitdir:").strip())
                head = (gitdir if gitdir.is_absolute() else folder / gitdir) / "HEAD"
            elif dot_git.is_dir():
                head = dot_git / "HEAD"
            else:
                continue
            text = head.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError, ValueError):
            return ""
        return text.removeprefix("ref: refs/heads/") if text.startswith("ref: refs/heads/") else ""
    return ""


def expand(template: str, user: str, root: Path) -> str:
    """The namespace a template gives for `user` in the repository at `root`.

    Raises:
        NamespaceError: an unknown placeholder, a value that is missing, or no DNS label as result.
    """
    try:
        fields = placeholders(template)
    except ValueError as err:
        raise NamespaceError(f"{template!r}: {err}") from None
    unknown = [f for f in fields if f not in PLACEHOLDERS]
    if unknown:
        raise NamespaceError(f"unknown placeholder {{{unknown[0]}}}; use {{user}} and {{branch}}")
    values = {}
    if "user" in fields:
        values["user"] = as_label_part(user)
        if not values["user"]:
            raise NamespaceError("{user} needs $USER (set it, or write the namespace out)")
    if "branch" in fields:
        values["branch"] = as_label_part(git_branch(root))
        if not values["branch"]:
            raise NamespaceError(f"{{branch}} needs a git branch checked out in {root} (none found)")
    expanded = template.format(**values)
    if not DNS_LABEL.match(expanded):
        raise NamespaceError(
            f"{template!r} gives {expanded!r}, not a DNS label (a-z, 0-9 and '-', at most 63, "
            "starting and ending with a letter or digit)"
        )
    return expanded
