"""Executing a Tiltfile for the tilt stand-in: starlark (starlark-pyo3) with Tilt's built-ins.

The built-ins keep Tilt's signatures (TOOLS.md §4, tilt-dev/tilt `internal/tiltfile/api/__init__.py`):
`allow_k8s_contexts`, `docker_build`, `k8s_yaml`, `helm` (rendered by the REAL `helm template`),
`k8s_resource`, `port_forward`, `link`, `blob`, `read_file`, `fail`, `print`, `k8s_context`,
`ci_settings`, `update_settings`, `watch_settings`, `version_settings`, `config.*` and `os.getenv`.
Tilt built-ins the stand-in does not play (`local`, `local_resource`, `custom_build`, ...) fail with
a message saying so; a name Tilt does not know fails like Go starlark's resolver (`undefined: x`).
Errors carry the Tiltfile position as Tilt prints them (`/abs/Tiltfile:LINE:COL: ...`).
Resource assembly (workloads, services, `uncategorized`) is `tiltassembly.py`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack_sim.standins.tiltassembly import Assembled, assemble
from devstack_sim.standins.tiltbuiltins import UNSUPPORTED, Builtins, BuiltinState, wrap

TRACEBACK = "Traceback (most recent call last):"
# Contexts Tilt treats as local clusters and allows without allow_k8s_contexts
# (vendor/github.com/tilt-dev/clusterid/product.go, reduced to name prefixes).
LOCAL_CONTEXT_PREFIXES = ("kind-", "k3d-", "microk8s", "minikube", "docker-desktop", "docker-for-desktop")
_POSITION = re.compile(r"-->\s*(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+)")
_PARSE = re.compile(r'unexpected (?P<got>.+?) here, expected one of (?P<want>"[^"]*"|\S+)')
_UNDEFINED = re.compile(r"Variable `(?P<name>[^`]+)` not found")


class TiltfileError(Exception):
    """The Tiltfile failed to load; the message is what Tilt prints (and puts in the session)."""


@dataclass
class Loaded:
    """What a Tiltfile declared, assembled into resources."""

    path: Path
    assembled: Assembled
    allowed_contexts: list[str]
    context: str
    ci_settings: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    config_parsed: bool = False
    watched: list[Path] = field(default_factory=list)  # files and folders whose change reloads it


_PRELUDE = (
    "config = struct(define_bool=_config_define_bool, define_string=_config_define_string,\n"
    "    define_string_list=_config_define_string_list, parse=_config_parse,\n"
    "    set_enabled_resources=_config_set_enabled_resources, tilt_subcommand=_tilt_subcommand,\n"
    "    main_path=_main_path, main_dir=_main_dir)\n"
    "os = struct(getenv=_os_getenv, environ=_os_environ, name='posix')\n"
)


def _error_text(state: BuiltinState, err: Exception) -> str:
    """Tilt's load error for a starlark failure: Go starlark's wording with the Tiltfile position."""
    text = str(err)
    found = _POSITION.search(text)
    where = f"{state.path}:{found['line']}:{found['col']}" if found else str(state.path)
    undefined = _UNDEFINED.search(text)
    if undefined:
        return f"{where}: undefined: {undefined['name']}"
    if "Parse error:" in text:
        # Go starlark's syntax errors read `got X, want Y`; the stand-in keeps starlark-rust's
        # token names (the position is the contract).
        detail = text.split("Parse error:", 1)[1].split("\n", 1)[0].strip()
        parsed = _PARSE.match(detail)
        if parsed:
            # Go's parser names the closing token it needed: prefer `)`, `]`, `}` when expected
            expected = re.findall(r'"([^"]*)"', detail.split("expected one of", 1)[1])
            want = next((c for c in (")", "]", "}") if c in expected), expected[0] if expected else "?")
            want = "newline" if want == "\\n" else want
            detail = f"got {parsed['got']}, want {want}"
        return f"{where}: {detail}"
    if state.raised is not None:
        raised = state.raised
        return f"{TRACEBACK}\n  {where}: in <toplevel>\nError in {raised.builtin}: {raised.message}"
    first = text.strip().splitlines()
    detail = next(
        (line.removeprefix("error: ") for line in first if line.startswith("error:")),
        first[-1] if first else text,
    )
    return f"{TRACEBACK}\n  {where}: in <toplevel>\nError: {detail}"


def load(
    path: Path, args: list[str], context: str, subcommand: str, helm_env: dict[str, str] | None = None
) -> Loaded:
    """Execute the Tiltfile at `path` with the Tiltfile args `args` against kube context `context`.

    Raises:
        TiltfileError: the Tiltfile is missing, does not parse, fails, or names a context not allowed.
    """
    import starlark as sl

    path = path.resolve()
    if not path.is_file():
        raise TiltfileError(
            f"No Tiltfile found at paths '{path}'. Check out https://docs.tilt.dev/tutorial.html"
        )
    state = BuiltinState(path=path, context=context, subcommand=subcommand, args=list(args))
    builtins = Builtins(state, helm_env)
    module = sl.Module()
    plain: dict[str, Callable[..., Any]] = {
        "allow_k8s_contexts": builtins.allow_k8s_contexts,
        "docker_build": builtins.docker_build,
        "k8s_yaml": builtins.k8s_yaml,
        "helm": builtins.helm,
        "blob": builtins.blob,
        "read_file": builtins.read_file,
        "k8s_resource": builtins.k8s_resource,
        "port_forward": builtins.port_forward,
        "link": builtins.link,
        "fail": builtins.fail,
        "print": builtins.print,
        "k8s_context": builtins.k8s_context,
        "ci_settings": builtins.ci_settings,
        "update_settings": builtins.accept,
        "watch_settings": builtins.accept,
        "version_settings": builtins.accept,
        "_config_define_bool": state.config.define_bool,
        "_config_define_string": state.config.define_string,
        "_config_define_string_list": state.config.define_string_list,
        "_config_parse": lambda: state.config.parse(state.args, path.parent),
        "_config_set_enabled_resources": state.config.set_enabled_resources,
        "_tilt_subcommand": lambda: subcommand,
        "_main_path": lambda: str(path),
        "_main_dir": lambda: str(path.parent),
        "_os_getenv": builtins.getenv,
        "_os_environ": lambda: dict(os.environ),
    }
    plain.update({name: builtins.unsupported(name) for name in UNSUPPORTED})
    for name, fn in plain.items():
        module.add_callable(name, wrap(state, _shown_name(name), fn))
    globals_ = sl.Globals.extended_by([sl.LibraryExtension.StructType])
    try:
        sl.eval(module, sl.parse("prelude", _PRELUDE, sl.Dialect.extended()), globals_)
        state.logs.append(f"Loading Tiltfile at: {path}")
        ast = sl.parse(str(path), path.read_text(encoding="utf-8"), sl.Dialect.extended())
        sl.eval(module, ast, globals_)
    except sl.StarlarkError as err:
        raise TiltfileError(_error_text(state, err)) from None
    try:
        assembled = assemble(state.objects, state.images, state.options, state.config.enabled(args))
    except ValueError as err:
        raise TiltfileError(str(err)) from None
    if assembled.resources and not _allowed(context, state.allowed):
        # internal/tiltfile/tiltfile_state.go loadManifests
        raise TiltfileError(
            f"Stop! {context} might be production.\n"
            "If you're sure you want to deploy there, add:\n"
            f"allow_k8s_contexts('{context}')\n"
            "to your Tiltfile. Otherwise, switch k8s contexts and restart Tilt."
        )
    return Loaded(
        path=path,
        assembled=assembled,
        allowed_contexts=state.allowed,
        context=context,
        ci_settings=state.ci,
        logs=state.logs,
        warnings=assembled.warnings,
        config_parsed=state.config.parsed,
        watched=list(dict.fromkeys([path, *state.watched])),
    )


def _shown_name(name: str) -> str:
    """The name a Tiltfile calls a built-in by (`config.parse`, `os.getenv`)."""
    for prefix, shown in (("_config_", "config."), ("_os_", "os.")):
        if name.startswith(prefix):
            return shown + name.removeprefix(prefix)
    return name.lstrip("_")


def _allowed(context: str, allowed: list[str]) -> bool:
    if context in allowed or context == "kind":
        return True
    return context.startswith(LOCAL_CONTEXT_PREFIXES)
