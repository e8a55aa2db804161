"""The Tiltfile built-ins of the tilt stand-in and the state they record (`tiltfile.py` runs them).

Each keeps Tilt's signature (TOOLS.md §4, tilt-dev/tilt `internal/tiltfile/api/__init__.py`) and
records what it declares into `BuiltinState`; values starlark cannot hold as Python objects (blobs,
`port_forward()`, `link()`) travel as marked dicts. A failure is kept as `Raised` so the loader can
word it as Tilt does (`Error in NAME: MSG`).
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
from devstack_sim.standins.tiltassembly import ImageBuild
from devstack_sim.standins.tiltmodel import Link, PortForwardSpec, ResourceOptions

_MISSING = re.compile(r"missing \d+ required positional arguments?: (?P<names>.+)")

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


class Raised(Exception):
    """A built-in's failure (`Error in NAME: MSG` once the position is known)."""

    def __init__(self, builtin: str, message: str) -> None:
        super().__init__(message)
        self.builtin = builtin
        self.message = message


@dataclass
class BuiltinState:
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
    raised: Raised | None = None
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


class Builtins:
    """The callables handed to starlark; each records into the `BuiltinState`."""

    def __init__(self, state: BuiltinState, helm_env: dict[str, str] | None) -> None:
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


def wrap(state: BuiltinState, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TypeError as err:
            missing = _MISSING.search(str(err))
            if missing:  # Go starlark's UnpackArgs wording
                first = missing["names"].split(",")[0].strip(" '")
                state.raised = Raised(name, f"{name}: missing argument for {first}")
            else:
                state.raised = Raised(name, re.sub(r"^[\w.]+\(\) ", f"{name}: ", str(err)))
            raise
        except (ValueError, OSError, tilthelm.HelmError, tiltargs.ArgsError) as err:
            state.raised = Raised(name, str(err))
            raise

    return call
