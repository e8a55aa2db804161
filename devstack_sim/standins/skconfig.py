"""skaffold.yaml as the skaffold stand-in reads it: the document, profile activation, profiles applied.

Profiles follow pkg/skaffold/schema/profiles.go: auto-activated profiles (activation entries on `env`,
`kubeContext`, `command`; regexes matched like skaffold's `RegexEqual`, `!` negates) come first, then
the `-p` ones (`-name` removes one). Each profile is overlaid section by section (a field the profile
sets replaces the config's field; setting one of `build.local|cluster|googleCloudBuild` drops the
others; empty values keep the config's), then its JSON `patches` apply (op add, remove, replace, move,
copy, test; `replace` when op is unset).
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devstack_sim.standins import skversion
from devstack_sim.standins.home import StandinError

PIPELINE_SECTIONS = ("build", "test", "manifests", "deploy", "portForward", "resourceSelector", "verify")
_BUILD_TYPES = ("local", "googleCloudBuild", "cluster")


class ConfigError(StandinError):
    """skaffold.yaml cannot be used; the message is skaffold's."""


@dataclass(frozen=True)
class Loaded:
    """The effective pipeline after profiles."""

    path: Path
    config: dict[str, Any]
    profiles: list[str]

    @property
    def root(self) -> Path:
        """The folder paths in the config are relative to."""
        return self.path.parent

    @property
    def artifacts(self) -> list[dict[str, Any]]:
        """`build.artifacts`."""
        return list((self.config.get("build") or {}).get("artifacts") or [])

    @property
    def deploy(self) -> dict[str, Any]:
        """`deploy`."""
        return dict(self.config.get("deploy") or {})


def regex_equal(expected: str, actual: str) -> bool:
    """skaffold's `RegexEqual`: equality, else a regex search; a leading `!` negates."""
    if expected.startswith("!"):
        return not regex_equal(expected[1:], actual)
    if expected == actual:
        return True
    try:
        return re.search(expected, actual) is not None
    except re.error:
        return False


def _env_matches(spec: str) -> bool:
    if not spec:
        return True
    key, sep, value = spec.partition("=")
    if not sep:
        raise ConfigError(f"invalid env variable format: {spec}, should be KEY=VALUE")
    negate = value.startswith("!")
    value = value.removeprefix("!")
    actual = os.environ.get(key, "")
    matched = actual == "" if value == "" else regex_equal(value, actual)
    return not matched if negate else matched


def activated(
    profiles: list[dict[str, Any]], named: list[str], kube_context: str, command: str, auto: bool
) -> list[str]:
    """Profile names to apply, in order (auto-activated first, then `-p` ones)."""
    active: list[str] = []
    if auto:
        for profile in profiles:
            entries = profile.get("activation") or []
            results = [
                _env_matches(str(e.get("env") or ""))
                and (not e.get("kubeContext") or regex_equal(str(e["kubeContext"]), kube_context))
                and (not e.get("command") or regex_equal(str(e["command"]), command))
                for e in entries
                if isinstance(e, dict)
            ]
            require_all = bool(profile.get("requiresAllActivations"))
            if results and (all(results) if require_all else any(results)):
                active.append(str(profile.get("name")))
    for name in named:
        if name.startswith("-"):
            active = [p for p in active if p != name[1:]]
        elif name not in active:
            active.append(name)
    return active


def _is_zero(value: Any) -> bool:
    return value is None or value is False or value in ("", 0, [])


def overlay(config: dict[str, Any], profile: dict[str, Any]) -> None:
    """Overlay a profile's pipeline sections onto `config` (in place)."""
    for section in PIPELINE_SECTIONS:
        value = profile.get(section)
        if _is_zero(value):
            continue
        if not isinstance(value, dict):
            config[section] = copy.deepcopy(value)
            continue
        target = config.setdefault(section, {})
        if not isinstance(target, dict):
            config[section] = copy.deepcopy(value)
            continue
        if section == "build" and any(not _is_zero(value.get(k)) for k in _BUILD_TYPES):
            for key in _BUILD_TYPES:
                target.pop(key, None)
        for key, item in value.items():
            if not _is_zero(item):
                target[key] = copy.deepcopy(item)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError(path)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, parts[-1]


def _get(doc: Any, parts: list[str]) -> Any:
    node = doc
    for part in parts:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _add(doc: Any, parts: list[str], value: Any) -> None:
    parent, last = _parent(doc, parts)
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if not 0 <= index <= len(parent):
            raise IndexError(last)
        parent.insert(index, value)
    else:
        parent[last] = value


def _remove(doc: Any, parts: list[str]) -> Any:
    parent, last = _parent(doc, parts)
    return parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)


def apply_patch(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    """Apply one JSON patch operation to `doc` in place.

    Raises:
        ValueError, KeyError, IndexError, TypeError: the path does not fit the document.
    """
    op = str(patch.get("op") or "replace")
    parts = _pointer(str(patch.get("path", "")))
    if op == "add":
        _add(doc, parts, copy.deepcopy(patch.get("value")))
    elif op == "remove":
        _remove(doc, parts)
    elif op == "replace":
        _get(doc, parts)
        parent, last = _parent(doc, parts)
        parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(patch.get("value"))
    elif op in ("move", "copy"):
        source = _pointer(str(patch.get("from", "")))
        value = _remove(doc, source) if op == "move" else copy.deepcopy(_get(doc, source))
        _add(doc, parts, value)
    elif op == "test":
        if _get(doc, parts) != patch.get("value"):
            raise ValueError("test failed")
    else:
        raise ValueError(f"unknown op {op}")


def load(path: Path, named: list[str], kube_context: str, command: str, auto: bool = True) -> Loaded:
    """Read skaffold.yaml and apply the profiles.

    Raises:
        ConfigError: missing file, bad YAML, unknown profile, failing patch (skaffold's wording).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"skaffold config file {path.name} not found - check your current working directory, "
            "or try running `skaffold init`"
        ) from None
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as err:
        raise ConfigError(
            f"parsing skaffold config: error parsing skaffold configuration file: {err}"
        ) from None
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise ConfigError("parsing skaffold config: the devstack stand-in reads exactly one config document")
    config = documents[0]
    version = str(config.get("apiVersion") or "")
    if not skversion.reads(version):
        raise ConfigError(skversion.unknown_version_message(version))
    if not version.startswith("skaffold/v4beta"):
        raise ConfigError(
            f"parsing skaffold config: the devstack stand-in reads only skaffold/v4beta*, not {version}"
        )
    profiles = [p for p in config.get("profiles") or [] if isinstance(p, dict)]
    names = activated(profiles, named, kube_context, command, auto)
    by_name = {str(p.get("name")): p for p in profiles}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        shown = "[" + " ".join(f'"{n}"' for n in unknown) + "]"
        raise ConfigError(
            f"profile selection {shown} did not match those defined in any configurations. Check that values "
            'specified in the "--profile" or "-p" flags are valid profile names.'
        )
    effective = {k: copy.deepcopy(v) for k, v in config.items() if k != "profiles"}
    for name in names:
        profile = by_name[name]
        overlay(effective, profile)
        for patch in profile.get("patches") or []:
            try:
                apply_patch(effective, patch)
            except (ValueError, KeyError, IndexError, TypeError):
                raise ConfigError(f'applying profile "{name}": invalid path: {patch.get("path")}') from None
    return Loaded(path=path, config=effective, profiles=names)
