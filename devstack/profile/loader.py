"""Find, read and validate profiles, with one clear `file:line: field: problem` per mistake."""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.profile.models import Profile, show_value
from devstack.yamlfile import Problem, YamlDoc, dotted, load_yaml

DEFAULT_PROFILE = "local-kind"
Loc = tuple[str | int, ...]


class ProfileError(DevstackError):
    """A profile that cannot be used; `problems` holds one line per mistake."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems), exit_code=USAGE)
        self.problems = problems

    def lines(self) -> list[str]:
        """One `file:line: field: problem` line per mistake."""
        return list(self.problems)


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile with where it came from."""

    profile: Profile
    path: Path
    root: Path

    def resolve(self, relative: str) -> Path:
        """A path from the profile, relative to the profile's folder."""
        return (self.path.parent / relative).resolve()


def find_stack_root(start: Path) -> Path | None:
    """The nearest folder from `start` upwards that holds `profiles/` and `skaffold.yaml`."""
    for folder in (start, *start.parents):
        if (folder / "profiles").is_dir() and (folder / "skaffold.yaml").is_file():
            return folder
    return None


def display_path(path: Path) -> str:
    """The path as the user should see it: relative to the cwd when below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def resolve_profile_path(spec: str | None, cwd: Path) -> tuple[Path, Path]:
    """The profile file and the stack root for `-p` (a NAME or a PATH).

    Raises:
        DevstackError: no stack root or no such profile (exit code 2).
    """
    spec = spec or DEFAULT_PROFILE
    looks_like_path = os.sep in spec or spec.endswith((".yaml", ".yml")) or Path(spec).is_file()
    if looks_like_path:
        path = (cwd / spec).resolve()
        if not path.is_file():
            raise DevstackError(f"profile file not found: {spec}", exit_code=USAGE)
        return path, find_stack_root(path.parent) or path.parent
    root = find_stack_root(cwd)
    if root is None:
        raise DevstackError(
            f"no stack found: no folder from {cwd} upwards holds profiles/ and skaffold.yaml",
            fix="run devstack inside your stack's repository, or pass -p PATH/TO/PROFILE.yaml",
            exit_code=USAGE,
        )
    path = root / "profiles" / f"{spec}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (root / "profiles").glob("*.yaml"))
        raise DevstackError(
            f"no profile named {spec!r} in {display_path(root / 'profiles')}",
            fix=f"use one of: {', '.join(known)}" if known else "create profiles/NAME.yaml",
            exit_code=USAGE,
        )
    return path, root


def load(spec: str | None, cwd: Path | None = None) -> LoadedProfile:
    """Resolve `-p` and load the profile it names."""
    path, root = resolve_profile_path(spec, cwd or Path.cwd())
    return LoadedProfile(load_profile(path), path, root)


def load_profile(path: Path) -> Profile:
    """Read and validate one profile file.

    Raises:
        ProfileError: with one `file:line: field: problem` line per mistake.
    """
    shown = display_path(path)
    doc = load_yaml(path, shown)
    if isinstance(doc, Problem):
        raise ProfileError([str(doc)])
    data = doc.data
    problems = [str(problem) for problem in doc.duplicates]
    if not isinstance(data, dict):
        raise ProfileError([f"{shown}:1: expected a mapping of profile settings, got {show_value(data)}"])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as err:
        problems += [_format(doc, detail) for detail in err.errors(include_url=False)]
        raise ProfileError(problems) from None
    if problems:
        raise ProfileError(problems)
    _check_files(profile, path, doc)
    return profile


def _check_files(profile: Profile, path: Path, doc: YamlDoc) -> None:
    config = profile.cluster.kind_config
    if config and not (path.parent / config).is_file():
        line = doc.line(("cluster", "kind_config"), key=True) or 1
        raise ProfileError([f"{doc.file}:{line}: cluster.kind_config: file not found: {config}"])


def _format(doc: YamlDoc, detail: ErrorDetails) -> str:
    loc: Loc = tuple(detail["loc"])
    ctx = detail.get("ctx") or {}
    kind = detail["type"]
    if kind == "extra_forbidden":
        message = _unknown_key(loc)
    elif kind == "missing":
        message = "required key missing"
    else:
        message = _describe(kind, ctx, detail)
    if "field" in ctx:
        loc = (*loc, *(int(p) if p.isdigit() else p for p in str(ctx["field"]).split(".")))
    line = f"{doc.file}:{doc.line(loc, key=True) or 1}: {dotted(loc)}: {message}"
    return line.replace("\n", "\\n").replace("\r", "\\r")


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    quoted = json.dumps(key, ensure_ascii=False)
    parent: type[BaseModel] | None = Profile
    for part in loc[:-1]:
        if parent is None or isinstance(part, int):
            continue
        parent = _field_model(parent, part)
    if parent is None:
        return f"unknown key {quoted}"
    allowed = list(parent.model_fields)
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else f" (allowed: {', '.join(allowed)})"
    return f"unknown key {quoted}{hint}"


def _field_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    for candidate in (field.annotation, *getattr(field.annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


_EXPECTED = {
    "string_type": "expected a string",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
}


def _describe(kind: str, ctx: dict[str, Any], detail: ErrorDetails) -> str:
    got = show_value(detail.get("input"))
    if kind in _EXPECTED:
        return f"{_EXPECTED[kind]}, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", '"')
        return f"expected one of {expected}, got {got}"
    return str(detail["msg"]).removeprefix("Value error, ")
