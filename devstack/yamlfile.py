"""YAML files read with the line of every node, and problems that point at `file:line`.

Shared by profile loading and `devstack validate`, so both report mistakes the same way. Every file
is read through `yamllimits.BoundedLoader`: a hostile file costs bounded time and memory, and every
way it can fail is a `Problem`, never an exception.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack.core.shown import MESSAGE_CHARS, SHOWN_CHARS, printable, show_value
from devstack.yamllimits import (
    MAX_BYTES,
    MAX_DEPTH,
    BoundedLoader,
    LimitError,
    check_events,
    check_expansion,
)

PLAIN_KEY = re.compile(r"[\w./-]+")


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
        return printable(f"{where}: {self.message}", MESSAGE_CHARS)


def dotted(path: tuple[str | int, ...] | list[str | int]) -> str:
    """Return a key path as ``a.b[0].c`` on one line (odd keys are quoted: ``a["x y"]``)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif len(part) <= SHOWN_CHARS and PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{show_value(part)}]"
    return text


KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document and the lines of its nodes.

    Each node is indexed once, at the path where it first appears: a path through an alias (or a
    key a merge key brings in) is looked up at its anchor, so the index stays as small as the file.

    Attributes:
        file: The file's name as reports show it.
        data: The parsed document (None for an empty file).
        value_lines: Line of each node's value, by key path.
        key_lines: Line of each mapping key, by the key path it introduces.
        duplicates: Problems for keys given twice in one mapping (YAML keeps only the last).
        aliases: For a path that reaches an anchored node again (an alias, a merged key), the
            path where that node was first indexed.
    """

    file: str
    data: Any
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[Problem] = field(default_factory=list)
    aliases: dict[KeyPath, KeyPath] = field(default_factory=dict)

    def has(self, path: KeyPath) -> bool:
        """Tell whether the document itself contains ``path``."""
        return path in self.value_lines or self.resolve(path) in self.value_lines

    def line(self, path: KeyPath, key: bool = False) -> int | None:
        """Return the line of ``path`` (its key's line when ``key``), else of its nearest ancestor."""
        if key and path in self.key_lines:
            return self.key_lines[path]
        path = self.resolve(path)
        if key and path in self.key_lines:
            return self.key_lines[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.value_lines:
                return self.value_lines[path[:end]]
        return None

    def resolve(self, path: KeyPath) -> KeyPath:
        """The path where the node at ``path`` was indexed (differs when it goes through an alias)."""
        for _ in range(MAX_DEPTH):
            for end in range(len(path), 0, -1):
                target = self.aliases.get(path[:end])
                if target is not None:
                    path = (*target, *path[end:])
                    break
            else:
                return path
        return path


def read_text(path: Path, shown: str) -> str | Problem:
    """Read a UTF-8 text file of at most `MAX_BYTES`, or return why it cannot be read."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return Problem(shown, None, "cannot read: not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as err:
        return Problem(shown, None, f"cannot read: {err.strerror or err}")
    except ValueError:
        return Problem(shown, None, "cannot read: the file name holds a NUL byte")
    if len(raw) > MAX_BYTES:
        return Problem(shown, None, f"larger than {MAX_BYTES // 1024} KiB, the most devstack reads")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return Problem(shown, line, f"not UTF-8 text (byte 0x{raw[err.start]:02x})")


def load_yaml(path: Path, shown: str) -> YamlDoc | Problem:
    """Read one YAML document with node lines, or return the problem that stops it being read."""
    text = read_text(path, shown)
    return text if isinstance(text, Problem) else parse_yaml(text, shown)


def parse_yaml(text: str, shown: str) -> YamlDoc | Problem:
    """Parse one YAML document within the limits of `yamllimits`, indexing the line of each node.

    Args:
        text: The document (one; a stream of several is a problem).
        shown: The file's name as problems show it.
    """
    loader = BoundedLoader(text)
    try:
        nodes, aliases = check_events(text)
        node = loader.get_single_node()
        doc = YamlDoc(shown, None)
        if node is not None:
            if aliases:
                check_expansion(node, nodes)
            _Indexer(doc).index(node, ())
            object.__setattr__(doc, "data", loader.construct_document(node))
        return doc
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        kind = "refused" if isinstance(err, LimitError) else "invalid YAML"
        return Problem(shown, mark.line + 1 if mark else None, f"{kind}: {problem}")
    except RecursionError:
        return Problem(shown, None, "invalid YAML: nested too deeply")
    finally:
        loader.dispose()


MERGE_TAG = "tag:yaml.org,2002:merge"


class _Indexer:
    """Records the line of each node once; later paths to the same node become `aliases`."""

    def __init__(self, doc: YamlDoc) -> None:
        self.doc = doc
        self.first: dict[int, KeyPath] = {}
        self.keys: dict[int, dict[str, None]] = {}  # each mapping's keys, merged ones included

    def index(self, node: yaml.Node, path: KeyPath) -> None:
        first = self.first.get(id(node))
        if first is not None:
            self.doc.aliases[path] = first
            return
        self.first[id(node)] = path
        self.doc.value_lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            self._mapping(node, path)
        elif isinstance(node, yaml.SequenceNode):
            for position, item in enumerate(node.value):
                self.index(item, (*path, position))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> None:
        keys: dict[str, None] = {}  # in order, merged ones included
        sources: list[yaml.Node] = []
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*path, key)
            self.doc.key_lines[child] = key_node.start_mark.line + 1
            self.index(value_node, child)
            if key_node.tag == MERGE_TAG:
                merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                sources += [source for source in merged if isinstance(source, yaml.MappingNode)]
                continue
            if key in keys:
                self.doc.duplicates.append(
                    Problem(self.doc.file, key_node.start_mark.line + 1, f"{dotted(child)}: duplicate key")
                )
            keys[key] = None
        for source in sources:  # the first source that has a key wins, and keys of its own win over all
            for key in self.keys.get(id(source), ()):
                if key not in keys:
                    keys[key] = None
                    self.doc.aliases[(*path, key)] = (*self.first[id(source)], key)
        self.keys[id(node)] = keys
