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

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from devstack_sim.standins import tiltargs, tilthelm
from devstack_sim.standins.tiltassembly import Assembled, ImageBuild, assemble
from devstack_sim.standins.tiltmodel import Link, PortForwardSpec, ResourceOptions

TRACEBACK = "Traceback (most recent call last):"
BLOB = "__tilt_blob__"
PORT_FORWARD = "__tilt_port_forward__"
LINK = "__tilt_link__"
# Tilt built-ins the stand-in does not play: calling one fails (it never silently does nothing).
UNSUPPORTED = (
    "local",
    "local_resource",
    "custom_build",
    "docker_compose",
    "dc_resource",
    "kustomize",
    "k8s_custom_deploy",
    "filter_yaml",
    "include",
    "load_dynamic",
    "k8s_kind",
    "k8s_image_json_path",
    "workload_to_resource_function",
    "default_registry",
    "set_team",
    "enable_feature",
    "disable_feature",
    "analytics_settings",
    "secret_settings",
    "docker_prune_settings",
    "trigger_mode",
    "experimental_analytics_report",
    "listdir",
    "read_json",
    "read_yaml",
    "decode_json",
    "encode_json",
    "decode_yaml",
    "encode_yaml",
)
# Contexts Tilt treats as local clusters and allows without allow_k8s_contexts
# (vendor/github.com/tilt-dev/clusterid/product.go, reduced to name prefixes).
LOCAL_CONTEXT_PREFIXES = ("kind-", "k3d-", "microk8s", "minikube", "docker-desktop", "docker-for-desktop")
_POSITION = re.compile(r"-->\s*(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+)")
_PARSE = re.compile(r'unexpected (?P<got>.+?) here, expected one of (?P<want>"[^"]*"|\S+)')
_MISSING = re.compile(r"missing \d+ required positional arguments?: (?P<names>.+)")
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


class _Raised(Exception):
    """A built-in's failure (`Error in NAME: MSG` once the position is known)."""

    def __init__(self, builtin: str, message: str) -> None:
        super().__init__(message)
        self.builtin = builtin
        self.message = message


@dataclass
class _State:
    path: Path
    context: str
    subcommand: str
    args: list[str]
    allowed: list[str] = field(default_factory=list)
    images: list[ImageBuild] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)
    options: dict[str, ResourceOptions] = field(default_factory=dict)
    ci: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    config: tiltargs.ConfigDefs = field(default_factory=tiltargs.ConfigDefs)
    raised: _Raised | None = None
    watched: list[Path] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.path.parent

    def resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.root / path)


def _blob_text(value: Any) -> str | None:
    if isinstance(value, dict) and BLOB in value:
        return str(value[BLOB])
    return None


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"{what}: expected a string or a list of strings, got {type(value).__name__}")


def _port_forwards(value: Any) -> list[PortForwardSpec]:
    """`internal/tiltfile/k8s.go` `convertPortForwards`: int, 'L', 'L:C', 'HOST:L:C', port_forward()."""
    items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    result = []
    for item in items:
        if isinstance(item, dict) and PORT_FORWARD in item:
            result.append(PortForwardSpec(**{k: v for k, v in item.items() if k != PORT_FORWARD}))
        elif isinstance(item, bool) or not isinstance(item, int | str):
            raise ValueError(f"port_forwards: unsupported type {type(item).__name__}")
        elif isinstance(item, int):
            result.append(PortForwardSpec(item, item))
        else:
            parts = item.split(":")
            if len(parts) > 3 or not all(p.isdigit() for p in parts[-2:]):
                raise ValueError(f"port_forwards: invalid port forward {item!r}")
            host = parts[0] if len(parts) == 3 else ""
            local = int(parts[-2] if len(parts) > 1 else parts[0])
            result.append(PortForwardSpec(local, int(parts[-1]), host=host))
    return result


def _links(value: Any) -> list[Link]:
    items = value if isinstance(value, list | tuple) else ([] if value is None else [value])
    result = []
    for item in items:
        if isinstance(item, dict) and LINK in item:
            result.append(Link(str(item["url"]), str(item.get("name") or "")))
        elif isinstance(item, str):
            result.append(Link(item, ""))
        else:
            raise ValueError(f"links: unsupported type {type(item).__name__}")
    return result


class _Builtins:
    """The callables handed to starlark; each records into the `_State`."""

    def __init__(self, state: _State, helm_env: dict[str, str] | None) -> None:
        self.s = state
        self.helm_env = helm_env

    def allow_k8s_contexts(self, contexts: Any) -> None:
        self.s.allowed += _strings(contexts, "allow_k8s_contexts")

    def docker_build(
        self, ref: str, context: str, build_args: Any = None, dockerfile: str = "Dockerfile",
        dockerfile_contents: Any = None, live_update: Any = None, match_in_env_vars: bool = False,
        ignore: Any = None, only: Any = None, entrypoint: Any = None, target: str = "", ssh: Any = None,
        network: str = "", secret: Any = None, extra_tag: Any = None, container_args: Any = None,
        cache_from: Any = None, pull: bool = False, platform: str = "", extra_hosts: Any = None,
    ) -> None:  # fmt: skip
        if any(image.ref == ref for image in self.s.images):
            raise ValueError(f"Image for ref {ref!r} has already been defined")
        self.s.images.append(
            ImageBuild(
                ref=ref,
                context=self.s.resolve(context),
                dockerfile=self.s.resolve(dockerfile),
                build_args={str(k): str(v) for k, v in (build_args or {}).items()},
                target=target,
            )
        )

    def k8s_yaml(self, yaml_value: Any, allow_duplicates: bool = False) -> None:
        texts = []
        for item in yaml_value if isinstance(yaml_value, list | tuple) else [yaml_value]:
            text = _blob_text(item)
            if text is None:
                if not isinstance(item, str):
                    raise ValueError(f"expected blob | path (string) | list, got {type(item).__name__}")
                self.s.watched.append(self.s.resolve(item))
                text = self.s.resolve(item).read_text(encoding="utf-8")
            texts.append(text)
        for text in texts:
            for doc in yaml.safe_load_all(text):
                if not isinstance(doc, dict) or not doc:
                    continue
                docs = doc.get("items") or [] if doc.get("kind", "").endswith("List") else [doc]
                for obj in docs:
                    self._add_object(obj, allow_duplicates)

    def _add_object(self, obj: dict[str, Any], allow_duplicates: bool) -> None:
        meta = obj.get("metadata") or {}
        key = (obj.get("kind"), meta.get("namespace") or "", meta.get("name"))
        for existing in self.s.objects:
            other = existing.get("metadata") or {}
            if (existing.get("kind"), other.get("namespace") or "", other.get("name")) == key:
                if allow_duplicates:
                    self.s.objects.remove(existing)
                    break
                # internal/tiltfile/k8s.go: duplicate YAML is refused unless allow_duplicates=True
                raise ValueError(
                    f"Duplicate YAML: {meta.get('name')}:{str(obj.get('kind')).lower()}\n"
                    "Ignore this error with k8s_yaml(..., allow_duplicates=True)\n"
                    "YAML originally registered at: Tiltfile"
                )
        self.s.objects.append(obj)

    def helm(
        self, pathToChartDir: str, name: str = "", namespace: str = "", values: Any = None,
        set: Any = None, kube_version: str = "", skip_crds: bool = False, flags: Any = None,
    ) -> dict[str, str]:  # fmt: skip
        chart = self.s.resolve(pathToChartDir)
        files = [str(self.s.resolve(v)) for v in _strings(values, "values")]
        self.s.watched += [chart, *(Path(f) for f in files)]
        text = tilthelm.template(
            chart, name, namespace, files, _strings(set, "set"), kube_version, skip_crds,
            _strings(flags, "flags"), self.s.root, self.helm_env,
        )  # fmt: skip
        return {BLOB: text}

    def blob(self, input: str) -> dict[str, str]:
        return {BLOB: str(input)}

    def read_file(self, file_path: str, default: Any = None) -> dict[str, str]:
        self.s.watched.append(self.s.resolve(file_path))
        try:
            return {BLOB: self.s.resolve(file_path).read_text(encoding="utf-8")}
        except OSError as err:
            if default is not None:
                return {BLOB: str(default)}
            raise ValueError(f"{file_path}: {err.strerror}") from None

    def k8s_resource(
        self, workload: str = "", new_name: str = "", port_forwards: Any = None,
        extra_pod_selectors: Any = None, trigger_mode: Any = None, resource_deps: Any = None,
        objects: Any = None, auto_init: Any = None, pod_readiness: str = "", links: Any = None,
        labels: Any = None, discovery_strategy: str = "",
    ) -> None:  # fmt: skip
        """Calls for the same workload add up: each sets only the arguments it passes (Tilt merges
        repeated `k8s_resource` calls; an argument given again replaces the earlier value)."""
        if not workload and not new_name:
            raise ValueError("k8s_resource: must specify either workload or new_name")
        key = workload or new_name
        options = self.s.options.setdefault(key, ResourceOptions(workload=key))
        options.new_name = new_name or options.new_name
        if port_forwards is not None:
            options.port_forwards = _port_forwards(port_forwards)
        if links is not None:
            options.links = _links(links)
        if labels is not None:
            options.labels = _strings(labels, "labels")
        if resource_deps is not None:
            options.resource_deps = _strings(resource_deps, "resource_deps")
        if objects is not None:
            options.objects = _strings(objects, "objects")
        if auto_init is not None:
            options.auto_init = bool(auto_init)
        options.pod_readiness = pod_readiness or options.pod_readiness

    def port_forward(
        self, local_port: int, container_port: int | None = None, name: str = "", link_path: str = "",
        host: str = "",
    ) -> dict[str, Any]:  # fmt: skip
        return {
            PORT_FORWARD: True,
            "local_port": int(local_port),
            "container_port": int(container_port or local_port),
            "name": name or "",
            "link_path": link_path or "",
            "host": host or "",
        }

    def link(self, url: str, name: str = "") -> dict[str, Any]:
        return {LINK: True, "url": url, "name": name or ""}

    def fail(self, msg: Any) -> None:
        raise ValueError(str(msg))

    def print(self, *args: Any, sep: str = " ") -> None:
        self.s.logs.append(sep.join(a if isinstance(a, str) else json.dumps(a) for a in args))

    def k8s_context(self) -> str:
        return self.s.context

    def ci_settings(self, k8s_grace_period: str = "", timeout: str = "", readiness_timeout: str = "") -> None:
        for key, value in (
            ("k8sGracePeriod", k8s_grace_period),
            ("timeout", timeout),
            ("readinessTimeout", readiness_timeout),
        ):
            if value:
                self.s.ci[key] = str(value)

    def accept(self, *args: Any, **kwargs: Any) -> None:
        """update_settings / watch_settings / version_settings: nothing the stand-in changes."""

    def getenv(self, key: str, default: Any = None) -> Any:
        return os.environ.get(key, default)

    def unsupported(self, name: str) -> Callable[..., None]:
        def call(*args: Any, **kwargs: Any) -> None:
            raise ValueError(f"{name}() is not supported by the devstack tilt stand-in")

        return call


def _wrap(state: _State, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as err:
            missing = _MISSING.search(str(err))
            if missing:  # Go starlark's UnpackArgs wording
                first = missing["names"].split(",")[0].strip(" '")
                state.raised = _Raised(name, f"{name}: missing argument for {first}")
            else:
                state.raised = _Raised(name, re.sub(r"^[\w.]+\(\) ", f"{name}: ", str(err)))
            raise
        except (ValueError, OSError, tilthelm.HelmError, tiltargs.ArgsError) as err:
            state.raised = _Raised(name, str(err))
            raise

    return call


_PRELUDE = (
    "config = struct(define_bool=_config_define_bool, define_string=_config_define_string,\n"
    "    define_string_list=_config_define_string_list, parse=_config_parse,\n"
    "    set_enabled_resources=_config_set_enabled_resources, tilt_subcommand=_tilt_subcommand,\n"
    "    main_path=_main_path, main_dir=_main_dir)\n"
    "os = struct(getenv=_os_getenv, environ=_os_environ, name='posix')\n"
)


def _error_text(state: _State, err: Exception) -> str:
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
    state = _State(path=path, context=context, subcommand=subcommand, args=list(args))
    builtins = _Builtins(state, helm_env)
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
        module.add_callable(name, _wrap(state, _shown_name(name), fn))
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
