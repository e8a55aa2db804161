"""Reading the user's kubeconfig (never writing it: that is kind's and the simulator's job).

Which files to read is decided in one place (`devstack.settings.kubeconfig_paths`, through
`ToolEnv.kubeconfig_paths()`); this module reads them as kubectl does (client-go's merge: for each
context, cluster and user name, the first file defining it wins; files that do not exist are
skipped) and turns anything malformed into one `DevstackError` line naming the file (exit 2): a
folder, unreadable or non-UTF-8 bytes, bad YAML, a document that is not a mapping, sections of the
wrong shape (`contexts: 5`), a context naming a cluster or user that no file defines. Parsing is
bounded: at most `MAX_BYTES` per file and `MAX_ALIASES` YAML aliases, and nesting is guarded.

`context_entries` (lenient: None when the context is missing) and `find_context` (strict: a context
naming a missing cluster or user is exit 2) give one context's entries; `single_context_document`
turns them into a kubeconfig of its own (relative file paths made absolute, as client-go resolves
them against the file that named them): what `sources/confine.py` writes for every child process
and API client. Whether a credential works is the doctor's question (`credential_checks.py`).
"""

from __future__ import annotations

import copy
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE

MAX_BYTES = 8 * 1024 * 1024
MAX_ALIASES = 100
SECTIONS = {"contexts": "context", "clusters": "cluster", "users": "user"}
# Fields holding file paths (client-go `ResolvePaths`): relative ones are relative to the kubeconfig.
PATH_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


FIX = "fix the file (kubectl cannot use it either), or leave it out of KUBECONFIG"


class KubeconfigError(DevstackError):
    """A kubeconfig that cannot be used (exit 2), naming the file."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message, fix or FIX, USAGE)


class ContextNotFound(KubeconfigError):
    """The context is in none of the kubeconfig files."""


@cache
def _bounded_loader() -> type:
    """PyYAML's safe loader with a cap on aliases: no alias bombs, and merge keys (`<<: *a`, which
    PyYAML >= 6.0.2 de-duplicates) can repeat at most MAX_ALIASES times what the file holds.
    (Made on first use: importing this module does not import yaml.)"""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    mark = self.peek_event().start_mark
                    raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (line {mark.line + 1})")
            return super().compose_node(parent, index)

    return BoundedLoader


def _load(path: Path) -> Any:
    try:
        mode = path.stat().st_mode
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):  # reading would block, or fail
            raise KubeconfigError(f"kubeconfig {path} is not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise KubeconfigError(f"kubeconfig {path} is a folder, not a file") from None
    except OSError as err:
        raise KubeconfigError(f"kubeconfig {path}: cannot read it: {err.strerror or err}") from None
    if len(raw) > MAX_BYTES:
        raise KubeconfigError(f"kubeconfig {path} is larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise KubeconfigError(f"kubeconfig {path} is not UTF-8 text (byte {err.start})") from None
    import yaml

    try:
        return yaml.load(text, Loader=_bounded_loader())
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        raise KubeconfigError(
            f"kubeconfig {path}{where}: not valid YAML: {err.problem or err.context}"
        ) from None
    except yaml.YAMLError as err:
        raise KubeconfigError(f"kubeconfig {path}: not valid YAML: {err}") from None
    except RecursionError:
        raise KubeconfigError(f"kubeconfig {path}: nested too deeply") from None
    except (ValueError, OverflowError) as err:  # e.g. a date like 2024-13-45, a 5,000-digit number
        raise KubeconfigError(f"kubeconfig {path}: a value YAML cannot read: {str(err)[:100]}") from None


def _checked(path: Path, data: Any) -> dict[str, Any]:
    """`data` if it has a kubeconfig's shape (the parts devstack reads), else a KubeconfigError."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise KubeconfigError(f"kubeconfig {path}: expected a mapping, found {_kind(data)}")
    for section, body_key in SECTIONS.items():
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise KubeconfigError(f"kubeconfig {path}: {section}: expected a list, found {_kind(entries)}")
        for index, entry in enumerate(entries):
            where = f"kubeconfig {path}: {section}[{index}]"
            if not isinstance(entry, dict):
                raise KubeconfigError(f"{where}: expected a mapping, found {_kind(entry)}")
            if not isinstance(entry.get("name", ""), str):
                raise KubeconfigError(f"{where}.name: expected a string, found {_kind(entry['name'])}")
            body = entry.get(body_key)
            if body is not None and not isinstance(body, dict):
                raise KubeconfigError(f"{where}.{body_key}: expected a mapping, found {_kind(body)}")
    current = data.get("current-context")
    if current is not None and not isinstance(current, str):
        raise KubeconfigError(
            f"kubeconfig {path}: current-context: expected a string, found {_kind(current)}"
        )
    return data


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "a number"}
    return names.get(type(value), type(value).__name__)


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a dict ({} when missing or empty).

    Raises:
        KubeconfigError: the file cannot be read or has not a kubeconfig's shape (exit 2).
    """
    return _checked(path, _load(path))


def context_names(paths: Iterable[Path]) -> list[str]:
    """Context names across the kubeconfig files, first file wins on duplicates."""
    names: list[str] = []
    for path in paths:
        for entry in read_kubeconfig(path).get("contexts") or []:
            name = entry.get("name")
            if name and name not in names:
                names.append(str(name))
    return names


@dataclass(frozen=True)
class ContextEntries:
    """What the kubeconfig files say about one context: its user and cluster entries (kubectl's merge)."""

    context: str
    user_name: str
    user: dict[str, Any]
    cluster_name: str
    cluster: dict[str, Any]
    source: Path | None
    """The file the context entry came from."""
    body: dict[str, Any] = field(default_factory=dict)
    """The context entry itself (cluster, user, namespace...)."""
    user_source: Path | None = None
    """The file the user entry came from (None: no file defines it)."""
    cluster_source: Path | None = None
    """The file the cluster entry came from (None: no file defines it)."""

    @property
    def server(self) -> str:
        """The API server URL of the context's cluster."""
        return str(self.cluster.get("server") or "")


def _first(
    merged: list[tuple[Path, dict[str, Any]]], section: str, name: str
) -> tuple[Path, dict[str, Any]] | None:
    """The body of the first entry named `name` in `section`, and its file."""
    body_key = SECTIONS[section]
    for path, data in merged:
        for entry in data.get(section) or []:
            if entry.get("name") == name:
                body = entry.get(body_key)
                return path, dict(body) if isinstance(body, dict) else {}
    return None


def shown(paths: Iterable[Path]) -> str:
    """The kubeconfig files as the user should see them (missing ones marked)."""
    return os.pathsep.join(f"{p}" if p.exists() else f"{p} [missing]" for p in paths)


def context_entries(paths: Iterable[Path], context: str) -> ContextEntries | None:
    """The user and cluster entries of `context`, merged as kubectl merges files (first wins);
    None when no file defines the context, empty entries for a user or cluster no file defines.

    Raises:
        KubeconfigError: a file is malformed (exit 2).
    """
    merged = [(path, read_kubeconfig(path)) for path in paths]
    found = _first(merged, "contexts", context)
    if found is None:
        return None
    source, body = found
    user_name, cluster_name = str(body.get("user") or ""), str(body.get("cluster") or "")
    user = _first(merged, "users", user_name) if user_name else None
    cluster = _first(merged, "clusters", cluster_name) if cluster_name else None
    return ContextEntries(
        context,
        user_name,
        user[1] if user else {},
        cluster_name,
        cluster[1] if cluster else {},
        source,
        body,
        user[0] if user else None,
        cluster[0] if cluster else None,
    )


def find_context(paths: tuple[Path, ...], name: str) -> ContextEntries:
    """The context `name` with its cluster and user, merged across `paths` as kubectl does.

    Raises:
        ContextNotFound: no file defines the context.
        KubeconfigError: a file is malformed, or the context names a cluster or user no file defines.
    """
    entries = context_entries(paths, name)
    if entries is None:
        raise ContextNotFound(f"context {name} is not in the kubeconfig: {shown(paths)}")
    for kind, wanted, source in (
        ("cluster", entries.cluster_name, entries.cluster_source),
        ("user", entries.user_name, entries.user_source),
    ):
        if source is None and (wanted or kind == "cluster"):
            raise KubeconfigError(
                f"kubeconfig {entries.source}: context {name} names {kind} {wanted!r}, "
                f"which no kubeconfig file defines ({shown(paths)})"
            )
    if not entries.server.strip():
        raise KubeconfigError(
            f"kubeconfig {entries.cluster_source}: cluster {entries.cluster_name}: no server"
        )
    return entries


def _resolve(kubeconfig: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (kubeconfig.parent / path).absolute()


def _absolute_paths(kind: str, body: dict[str, Any], source: Path | None) -> dict[str, Any]:
    body = copy.deepcopy(body)
    if source is None:
        return body
    for key in PATH_FIELDS[kind]:
        if body.get(key):
            body[key] = str(_resolve(source, str(body[key])))
    command = (body.get("exec") or {}).get("command") if kind == "user" else None
    if isinstance(command, str) and "/" in command:
        body["exec"]["command"] = str(_resolve(source, command))
    return body


def single_context_document(entries: ContextEntries) -> dict[str, Any]:
    """A kubeconfig holding only this context, its cluster and user, with current-context set to it."""
    users = []
    if entries.user_name:
        users.append(
            {"name": entries.user_name, "user": _absolute_paths("user", entries.user, entries.user_source)}
        )
    cluster = _absolute_paths("cluster", entries.cluster, entries.cluster_source)
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": entries.cluster_name, "cluster": cluster}],
        "users": users,
        "contexts": [{"name": entries.context, "context": copy.deepcopy(entries.body)}],
        "current-context": entries.context,
    }
