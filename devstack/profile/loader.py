"""Find, read and validate profiles, with one clear `file:line: field: problem` per mistake."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from devstack.core.shown import first_control_char, printable, show_value
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.profile.models import Profile
from devstack.profile.namespace import NamespaceError, expand, is_template
from devstack.yamlfile import KeyPath, Problem, YamlDoc, dotted, load_yaml

DEFAULT_PROFILE = "local-kind"
SHOWN_PATH_CHARS = 200
MAX_PROBLEMS = 50
"""Problems listed for one profile; a file with more gets a last line counting the rest."""
Loc = tuple[str | int, ...]


class ProfileError(DevstackError):
    """A profile that cannot be used; `problems` holds one line per mistake."""

    def __init__(self, problems: list[str]):
        problems = [printable(problem) for problem in problems]
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
        if _is(Path.is_dir, folder / "profiles") and _is(Path.is_file, folder / "skaffold.yaml"):
            return folder
    return None


def _is(test: Callable[[Path], bool], path: Path) -> bool:
    """`path.is_file()` / `is_dir()`, False where the name cannot exist (too long, a NUL byte)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


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
    looks_like_path = os.sep in spec or spec.endswith((".yaml", ".yml")) or _is(Path.is_file, Path(spec))
    if looks_like_path:
        path = cwd / spec
        if not _is(Path.is_file, path):
            raise DevstackError(f"profile file not found: {show_value(spec)}", exit_code=USAGE)
        path = path.resolve()
        return path, find_stack_root(path.parent) or path.parent
    root = find_stack_root(cwd)
    if root is None:
        raise DevstackError(
            f"no stack found: no folder from {cwd} upwards holds profiles/ and skaffold.yaml",
            fix="run devstack inside your stack's repository, or pass -p PATH/TO/PROFILE.yaml",
            exit_code=USAGE,
        )
    path = root / "profiles" / f"{spec}.yaml"
    if not _is(Path.is_file, path):
        known = sorted(p.stem for p in (root / "profiles").glob("*.yaml"))
        raise DevstackError(
            f"no profile named {show_value(spec)} in {display_path(root / 'profiles')}",
            fix=f"use one of: {', '.join(known)}" if known else "create profiles/NAME.yaml",
            exit_code=USAGE,
        )
    return path, root


def load(spec: str | None, cwd: Path | None = None, user: str = "") -> LoadedProfile:
    """Resolve `-p` and load the profile it names, its `deploy.namespace` expanded for `user` and
    the stack's git branch (`profile/namespace.py`).

    Raises:
        DevstackError: no such profile or stack (exit 2).
        ProfileError: a mistake in the profile, or a namespace template that cannot be expanded.
    """
    path, root = resolve_profile_path(spec, cwd or Path.cwd())
    profile = load_profile(path)
    template = profile.deploy.namespace
    if is_template(template):
        try:
            namespace = expand(template, user, root)
        except NamespaceError as err:
            doc = load_yaml(path, display_path(path))
            line = (doc.line(("deploy", "namespace")) if isinstance(doc, YamlDoc) else None) or 1
            raise ProfileError([f"{display_path(path)}:{line}: deploy.namespace: {err}"]) from None
        deploy = profile.deploy.model_copy(update={"namespace": namespace})
        profile = profile.model_copy(update={"deploy": deploy})
    return LoadedProfile(profile, path, root)


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
    problems += _control_characters(doc)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as err:
        details = err.errors(include_url=False)
        problems += [_format(doc, detail) for detail in details[:MAX_PROBLEMS]]
        raise ProfileError(_at_most(problems, shown, len(problems) + len(details[MAX_PROBLEMS:]))) from None
    if problems:
        raise ProfileError(_at_most(problems, shown, len(problems)))
    _check_files(profile, path, doc)
    return profile


def _at_most(problems: list[str], shown: str, total: int) -> list[str]:
    if total <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], f"{shown}: ... and {total - MAX_PROBLEMS} more problems"]


def _control_characters(doc: YamlDoc) -> list[str]:
    """One problem per key or text value holding a control or invisible formatting character."""
    problems = []
    stack: list[tuple[KeyPath, Any]] = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = (*path, key if isinstance(key, (str, int)) else str(key))
                if isinstance(key, str) and (char := first_control_char(key)) is not None:
                    problems.append(_control_problem(doc, child, "key", char))
                stack.append((child, item))
        elif isinstance(value, list):
            stack += [((*path, index), item) for index, item in enumerate(value)]
        elif isinstance(value, str) and (char := first_control_char(value)) is not None:
            problems.append(_control_problem(doc, path, "value", char))
    return sorted(problems)


def _control_problem(doc: YamlDoc, path: KeyPath, what: str, char: str) -> str:
    line = doc.line(path, key=what == "key") or 1
    return f"{doc.file}:{line}: {dotted(path)}: the {what} holds the control character U+{ord(char):04X}"


def _check_files(profile: Profile, path: Path, doc: YamlDoc) -> None:
    config = profile.cluster.kind_config
    if not config:
        return
    where = f"{doc.file}:{doc.line(('cluster', 'kind_config'), key=True) or 1}: cluster.kind_config"
    target = path.parent / config
    if not _is(Path.is_file, target):
        raise ProfileError([f"{where}: file not found: {printable(config, SHOWN_PATH_CHARS)}"])
    loaded = load_yaml(target, display_path(target))
    if isinstance(loaded, Problem):
        raise ProfileError([f"{where}: {loaded}"])


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
    return f"{doc.file}:{doc.line(loc, key=True) or 1}: {dotted(loc)}: {message}"


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    quoted = show_value(key)
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
