"""Reading the user's kubeconfig (never writing it: that is kind's and the simulator's job).

Which files to read is decided in one place (`devstack.settings.kubeconfig_paths`, through
`ToolEnv.kubeconfig_paths()`); this module reads them as kubectl does (client-go's merge: for each
context, cluster and user name, the first file defining it wins; files that do not exist are
skipped) and turns anything malformed into one `DevstackError` line naming the file (exit 2): a
folder, unreadable or non-UTF-8 bytes, bad YAML, a document that is not a mapping, sections of the
wrong shape (`contexts: 5`), a context naming a cluster or user that no file defines. Parsing is
bounded: at most `MAX_BYTES` per file and `MAX_ALIASES` YAML aliases, and nesting is guarded.

`find_context` + `single_context_document` give the one allowed context as a kubeconfig of its own
(its cluster and user; relative file paths made absolute, as client-go resolves them against the
file that named them): what `sources/confine.py` writes for every child process and API client.
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
DATA_FIELDS = {
    "cluster": ("certificate-authority-data",),
    "user": ("client-certificate-data", "client-key-data"),
}


FIX = "fix the file (kubectl cannot use it either), or leave it out of KUBECONFIG"


class KubeconfigError(DevstackError):
    """A kubeconfig that cannot be used (exit 2), naming the file."""

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message, fix or FIX, USAGE)


class ContextNotFound(KubeconfigError):
    """The context is in none of the kubeconfig files."""


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a cap on aliases: no alias bombs, and merge keys (`<<: *a`, which
    PyYAML >= 6.0.2 de-duplicates) can repeat at most MAX_ALIASES times what the file holds."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (line {mark.line + 1})")
        return super().compose_node(parent, index)


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
    try:
        return yaml.load(text, Loader=_BoundedLoader)
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
class Entry:
    """One named entry (its body) and the kubeconfig file that defined it."""

    name: str
    body: dict[str, Any]
    path: Path


@dataclass(frozen=True)
class ContextEntries:
    """A context with the cluster and user it names, as kubectl merges them."""

    context: Entry
    cluster: Entry
    user: Entry | None

    @property
    def server(self) -> str:
        """The API server URL of the context's cluster."""
        return str(self.cluster.body.get("server") or "")


def _first(merged: list[tuple[Path, dict[str, Any]]], section: str, name: str) -> Entry | None:
    body_key = SECTIONS[section]
    for path, data in merged:
        for entry in data.get(section) or []:
            if entry.get("name") == name:
                return Entry(name, dict(entry.get(body_key) or {}), path)
    return None


def shown(paths: Iterable[Path]) -> str:
    """The kubeconfig files as the user should see them (missing ones marked)."""
    return os.pathsep.join(f"{p}" if p.exists() else f"{p} [missing]" for p in paths)


def find_context(paths: tuple[Path, ...], name: str) -> ContextEntries:
    """The context `name` with its cluster and user, merged across `paths` as kubectl does.

    Raises:
        ContextNotFound: no file defines the context.
        KubeconfigError: a file is malformed, or the context names a missing cluster or user.
    """
    merged = [(path, read_kubeconfig(path)) for path in paths]
    context = _first(merged, "contexts", name)
    if context is None:
        raise ContextNotFound(f"context {name} is not in the kubeconfig: {shown(paths)}")
    cluster_name = context.body.get("cluster")
    cluster = _first(merged, "clusters", cluster_name) if isinstance(cluster_name, str) else None
    if cluster is None:
        raise KubeconfigError(
            f"kubeconfig {context.path}: context {name} names cluster {cluster_name!r}, "
            f"which no kubeconfig file defines ({shown(paths)})"
        )
    user_name = context.body.get("user")
    user = None
    if user_name:
        user = _first(merged, "users", user_name) if isinstance(user_name, str) else None
        if user is None:
            raise KubeconfigError(
                f"kubeconfig {context.path}: context {name} names user {user_name!r}, "
                f"which no kubeconfig file defines ({shown(paths)})"
            )
    entries = ContextEntries(context, cluster, user)
    _check_usable(entries)
    return entries


def _check_usable(entries: ContextEntries) -> None:
    """The fields every client needs are there and readable (else what kubectl would fail on)."""
    cluster = entries.cluster
    server = cluster.body.get("server")
    if not isinstance(server, str) or not server.strip():
        raise KubeconfigError(f"kubeconfig {cluster.path}: cluster {cluster.name}: no server")
    for kind, entry in (("cluster", cluster), ("user", entries.user)):
        if entry is None:
            continue
        for key in DATA_FIELDS[kind]:
            value = entry.body.get(key)
            if value is None:
                continue
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                raise KubeconfigError(
                    f"kubeconfig {entry.path}: {kind} {entry.name}: {key} is not base64"
                ) from None
        for key in PATH_FIELDS[kind]:
            value = entry.body.get(key)
            if value and not _resolve(entry.path, str(value)).is_file():
                raise KubeconfigError(
                    f"kubeconfig {entry.path}: {kind} {entry.name}: {key} "
                    f"{_resolve(entry.path, str(value))} does not exist"
                )


def _resolve(kubeconfig: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (kubeconfig.parent / path).absolute()


def _absolute_paths(kind: str, entry: Entry) -> dict[str, Any]:
    body = copy.deepcopy(entry.body)
    for key in PATH_FIELDS[kind]:
        if body.get(key):
            body[key] = str(_resolve(entry.path, str(body[key])))
    command = (body.get("exec") or {}).get("command") if kind == "user" else None
    if isinstance(command, str) and "/" in command:
        body["exec"]["command"] = str(_resolve(entry.path, command))
    return body


def single_context_document(entries: ContextEntries) -> dict[str, Any]:
    """A kubeconfig holding only this context, its cluster and user, with current-context set to it."""
    context = copy.deepcopy(entries.context.body)
    users = []
    if entries.user is not None:
        users.append({"name": entries.user.name, "user": _absolute_paths("user", entries.user)})
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": entries.cluster.name, "cluster": _absolute_paths("cluster", entries.cluster)}],
        "users": users,
        "contexts": [{"name": entries.context.name, "context": context}],
        "current-context": entries.context.name,
    }
