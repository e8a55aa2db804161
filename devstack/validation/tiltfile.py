"""Read what a Tiltfile says about contexts, the chart and port forwards, without running it.

Starlark is a subset of Python's syntax, so the file is parsed with `ast` and only literal calls are
read: `allow_k8s_contexts([...])`, `helm(path, name=, namespace=, values=[...])` and
`k8s_resource('workload', port_forwards=...)` (a `port_forward(local, remote)`, an int or a
`'local:remote'` string, or a list of them). Names bound to literals at the top level are resolved;
anything computed is left out rather than guessed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.yamlfile import Problem, read_text

TILTFILE = "Tiltfile"
_UNKNOWN = object()


@dataclass(frozen=True)
class TiltForward:
    """A `port_forward` of a Tilt resource: localhost:`local` → the workload's `remote` port."""

    resource: str
    local: int
    remote: int
    line: int


@dataclass
class TiltFacts:
    """What the Tiltfile says, with the line of each call.

    Attributes:
        contexts: The contexts `allow_k8s_contexts` allows (None when the file does not call it).
        contexts_line: The line of that call.
        chart: The chart folder `helm(...)` renders ("" when not a literal).
        release: The release name it renders as ("" when not given).
        namespace: The namespace `helm(...)` renders into ("" when not a literal).
        values: The values files `helm(...)` passes, as written.
        helm_line: The line of the `helm(...)` call (0 when there is none).
        forwards: Every port forward of every `k8s_resource`.
        images: The line of each `docker_build` call, by image name.
        build_contexts: The build context of each `docker_build` (as written), by image name.
        config_flags: The names the Tiltfile defines with `config.define_*` (its own arguments).
    """

    contexts: tuple[str, ...] | None = None
    contexts_line: int = 0
    chart: str = ""
    release: str = ""
    namespace: str = ""
    values: tuple[str, ...] = ()
    helm_line: int = 0
    forwards: list[TiltForward] = field(default_factory=list)
    images: dict[str, int] = field(default_factory=dict)
    build_contexts: dict[str, str] = field(default_factory=dict)
    config_flags: tuple[str, ...] = ()


def read_tiltfile(root: Path) -> TiltFacts | Problem | None:
    """The facts of `root/Tiltfile`; None without one, a Problem when it cannot be read or parsed."""
    path = root / TILTFILE
    if not path.is_file():
        return None
    text = read_text(path, TILTFILE)
    if isinstance(text, Problem):
        return text
    try:
        tree = ast.parse(text, TILTFILE)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return Problem(TILTFILE, getattr(err, "lineno", None), f"cannot be read as Starlark: {err}")
    reader = _Reader()
    reader.read(tree)
    return reader.facts


class _Reader:
    def __init__(self) -> None:
        self.facts = TiltFacts()
        self.names: dict[str, Any] = {}

    def read(self, tree: ast.Module) -> None:
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name):
                    self.names[target.id] = self.literal(statement.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                self.call(node.func.id, node)
            elif isinstance(node, ast.Call) and _is_config_define(node.func):
                flag = self.argument(node, 0, "name")
                if isinstance(flag, str):
                    self.facts.config_flags = (*self.facts.config_flags, flag)

    def literal(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.names.get(node.id, _UNKNOWN)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [self.literal(item) for item in node.elts]
            return _UNKNOWN if any(item is _UNKNOWN for item in items) else items
        return _UNKNOWN

    def argument(self, call: ast.Call, position: int, keyword: str) -> Any:
        for item in call.keywords:
            if item.arg == keyword:
                return self.literal(item.value)
        return self.literal(call.args[position]) if len(call.args) > position else None

    def call(self, name: str, call: ast.Call) -> None:
        facts = self.facts
        if name == "allow_k8s_contexts":
            contexts = self.argument(call, 0, "contexts")
            if isinstance(contexts, str):
                contexts = [contexts]
            if isinstance(contexts, list) and all(isinstance(c, str) for c in contexts):
                facts.contexts = (*(facts.contexts or ()), *contexts)
                facts.contexts_line = facts.contexts_line or call.lineno
        elif name == "helm" and not facts.helm_line:
            facts.helm_line = call.lineno
            chart, release = self.argument(call, 0, "pathToChartDir"), self.argument(call, 1, "name")
            facts.chart = chart if isinstance(chart, str) else ""
            facts.release = release if isinstance(release, str) else ""
            namespace = self.argument(call, 2, "namespace")
            facts.namespace = namespace if isinstance(namespace, str) else ""
            values = self.argument(call, 3, "values")
            values = [values] if isinstance(values, str) else values
            if isinstance(values, list):
                facts.values = tuple(v for v in values if isinstance(v, str))
        elif name == "k8s_resource":
            self.resource(call)
        elif name == "docker_build":
            image = self.argument(call, 0, "ref")
            context = self.argument(call, 1, "context")
            if isinstance(image, str):
                facts.images.setdefault(image, call.lineno)
                if isinstance(context, str):
                    facts.build_contexts.setdefault(image, context)

    def resource(self, call: ast.Call) -> None:
        workload = self.argument(call, 0, "workload")
        found = next((k.value for k in call.keywords if k.arg == "port_forwards"), None)
        if found is None and len(call.args) > 2:
            found = call.args[2]
        if not isinstance(workload, str) or found is None:
            return
        # `[] if cfg.get("no-port-forwards") else [...]`: the forwards of a `tilt up` by hand.
        branches = [found.body, found.orelse] if isinstance(found, ast.IfExp) else [found]
        items = [i for b in branches for i in (b.elts if isinstance(b, (ast.List, ast.Tuple)) else [b])]
        for item in items:
            ports = self.forward(item)
            if ports is not None:
                self.facts.forwards.append(TiltForward(workload, ports[0], ports[1], item.lineno))

    def forward(self, node: ast.AST) -> tuple[int, int] | None:
        """(local, remote) of `port_forward(L, R)`, `L`, `'L:R'` or `'HOST:L:R'`."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "port_forward":
            local = self.argument(node, 0, "local_port")
            remote = self.argument(node, 1, "container_port")
            if isinstance(local, int):
                return local, remote if isinstance(remote, int) else local
            return None
        value = self.literal(node)
        if isinstance(value, int) and not isinstance(value, bool):
            return value, value
        if isinstance(value, str):  # 'LOCAL', 'LOCAL:REMOTE' or 'HOST:LOCAL:REMOTE'
            parts = value.split(":")[-2:]
            if all(part.isdigit() for part in parts):
                return int(parts[0]), int(parts[-1])
        return None


def _is_config_define(func: ast.AST) -> bool:
    """`config.define_bool`, `config.define_string`, ... (a Tiltfile argument's definition)."""
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "config"
        and func.attr.startswith("define_")
    )


NO_PORT_FORWARDS_FLAG = "no-port-forwards"
"""The Tiltfile argument devstack passes (`tilt up -- --no-port-forwards`) so that its own
forwarder, not Tilt, owns the profile's local ports (TILT.md §6: Tilt has no flag for it)."""


def missing_forward_switch(facts: TiltFacts) -> str | None:
    """Why devstack cannot run this Tiltfile with Tilt's forwards off (None: it can)."""
    if NO_PORT_FORWARDS_FLAG in facts.config_flags:
        return None
    return (
        f"the {TILTFILE} defines no config.define_bool('{NO_PORT_FORWARDS_FLAG}'): devstack runs "
        f"`tilt up -- --{NO_PORT_FORWARDS_FLAG}` so that its forwarder owns the profile's ports; add "
        f"config.define_bool('{NO_PORT_FORWARDS_FLAG}') and cfg = config.parse(), and pass "
        f"port_forwards only when not cfg.get('{NO_PORT_FORWARDS_FLAG}')"
    )
