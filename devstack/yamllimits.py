"""A YAML loader whose cost is bounded, whatever the file says.

PyYAML's safe loader shares an anchored node between its aliases, but everything that walks the
parsed data afterwards (the line index, pydantic, jsonschema, helm-like merges) sees each alias
expanded: seven levels of nine aliases in a 322-byte file are six million nodes. Merge keys (`<<`)
are expanded while the document is constructed, and deep nesting or an alias inside its own anchor
exhausts Python's recursion limit. `check_events` (on the parser's events, before any node exists)
and `check_expansion` (on the composed nodes, before anything is constructed) refuse: nesting
deeper than `MAX_DEPTH` levels (with aliases expanded), more than `MAX_NODES` values or
`MAX_ALIASES` aliases, aliases and merge keys that add more than `MAX_EXPANDED_NODES` nodes, and
recursive anchors.

Two scalars are constructed the way helm's YAML library reads values: a YAML 1.1 timestamp
(`2024-13-45`, `2024-01-01`) stays the text it is written as, and an integer longer than
`MAX_INT_DIGITS` digits is an error rather than a crash.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_BYTES = 1024 * 1024
"""Largest YAML file devstack reads (1 MiB): stack files are a few KiB."""
MAX_DEPTH = 100
"""Deepest nesting of mappings and lists, counted with aliases expanded."""
MAX_NODES = 200_000
"""Most values (scalars, mappings and lists) in one file, before aliases are expanded."""
MAX_ALIASES = 10_000
"""Most aliases (`*name`) in one file."""
MAX_EXPANDED_NODES = 100_000
"""Most nodes that aliases and merge keys may add to a document when expanded."""
MAX_INT_DIGITS = 4300
"""Longest integer literal (Python's own limit for converting text to int)."""

TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
INT_TAG = "tag:yaml.org,2002:int"


class LimitError(yaml.MarkedYAMLError):
    """A YAML file that passes one of the limits; its mark points at the node at fault."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)


# libyaml's parser when PyYAML was built with it (the wheels are): several times faster, and it
# refuses nesting deeper than 1,000 levels itself. The constructors are PyYAML's either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class BoundedLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """The safe loader, with timestamps kept as text and over-long integers refused."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """Construct one value; a scalar its explicit tag does not fit (`!!int x`) is a YAML error."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError):
            raise ConstructorError(
                problem=f"the value does not fit its tag {node.tag}", problem_mark=node.start_mark
            ) from None


def check_events(text: str) -> tuple[int, int]:
    """First pass over the parser's events, before any node exists: refuse nesting deeper than
    `MAX_DEPTH`, more than `MAX_NODES` values and more than `MAX_ALIASES` aliases.

    Returns:
        How many values (scalars, mappings and lists) and how many aliases the text holds.

    Raises:
        LimitError: at the event that passes a limit.
        yaml.YAMLError: the text is not YAML.
    """
    loader = BoundedLoader(text)
    depth = nodes = aliases = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                nodes += 1
                if depth > MAX_DEPTH:
                    raise LimitError(f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
            if nodes > MAX_NODES or aliases > MAX_ALIASES:
                what = f"{MAX_NODES} values" if nodes > MAX_NODES else f"{MAX_ALIASES} aliases"
                raise LimitError(f"more than {what}", event.start_mark)
    finally:
        loader.dispose()
    return nodes, aliases


def _timestamp_as_text(loader: SafeConstructor, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _bounded_int(loader: SafeConstructor, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text) > MAX_INT_DIGITS:
        raise ConstructorError(
            problem=f"an integer of {len(text)} digits is too long (at most {MAX_INT_DIGITS})",
            problem_mark=node.start_mark,
        )
    return int(loader.construct_yaml_int(node))


BoundedLoader.add_constructor(TIMESTAMP_TAG, _timestamp_as_text)
BoundedLoader.add_constructor(INT_TAG, _bounded_int)


def children(node: Node) -> list[Node]:
    """The nodes directly inside ``node``: a mapping's keys and values, a list's items."""
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def check_expansion(root: Node, composed: int) -> None:
    """Refuse a recursive anchor, and aliases or merge keys that expand beyond the limits.

    Walks the node graph once (each shared node once, without recursion), computing every
    collection's size and depth as if its aliases were copied. Only needed when the text has aliases:
    without them no node is shared.

    Args:
        root: The composed document.
        composed: How many distinct nodes the document has (from `check_events`).

    Raises:
        LimitError: the first node whose expansion passes a limit, or that contains itself.
    """
    most = composed + MAX_EXPANDED_NODES
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            size, depth = 1, 1
            for child in children(node):
                size += sizes.get(id(child), 1)
                depth = max(depth, 1 + depths.get(id(child), 1))
            sizes[key], depths[key] = min(size, most + 1), depth
            if depth > MAX_DEPTH:
                raise LimitError(
                    f"nested deeper than {MAX_DEPTH} levels once aliases are expanded",
                    node.start_mark,
                )
            if size > most:
                raise LimitError(
                    f"aliases and merge keys expand to more than {MAX_EXPANDED_NODES} "
                    "extra nodes (a YAML bomb?)",
                    node.start_mark,
                )
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise LimitError(
                "an alias refers to the anchor it is inside of (a recursive structure)",
                node.start_mark,
            )
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children(node) if not isinstance(child, ScalarNode))
