"""YAML files read with the line of every node, and problems that point at `file:line`.

Shared by profile loading and `devstack validate`, so both report mistakes the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
        return f"{where}: {self.message}"


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


KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document and the lines of its nodes.

    Attributes:
        file: The file's name as reports show it.
        data: The parsed document (None for an empty file).
        value_lines: Line of each node's value, by key path.
        key_lines: Line of each mapping key, by the key path it introduces.
        duplicates: Problems for keys given twice in one mapping (YAML keeps only the last).
    """

    file: str
    data: Any
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[Problem] = field(default_factory=list)

    def has(self, path: KeyPath) -> bool:
        """Tell whether the document itself contains ``path``."""
        return path in self.value_lines

    def line(self, path: KeyPath, key: bool = False) -> int | None:
        """Return the line of ``path`` (its key's line when ``key``), else of its nearest ancestor."""
        if key and path in self.key_lines:
            return self.key_lines[path]
        for end in range(len(path), -1, -1):
            if path[:end] in self.value_lines:
                return self.value_lines[path[:end]]
        return None


def load_yaml(path: Path, shown: str) -> YamlDoc | Problem:
    """Read one YAML document with node lines, or return the problem that stops it being read."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as err:
        return Problem(shown, None, f"cannot read: {err.strerror or err}")
    except UnicodeDecodeError:
        return Problem(shown, None, "cannot read: not UTF-8 text")
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        return Problem(shown, mark.line + 1 if mark else None, f"invalid YAML: {problem}")
    doc = YamlDoc(shown, data)
    if node is not None:
        _index(node, (), doc)
    return doc


def _index(node: yaml.Node, path: KeyPath, doc: YamlDoc) -> None:
    doc.value_lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                doc.duplicates.append(
                    Problem(doc.file, key_node.start_mark.line + 1, f"{dotted(child)}: duplicate key")
                )
            seen.add(key)
            doc.key_lines[child] = key_node.start_mark.line + 1
            _index(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), doc)
