"""Tiltfile args for the tilt stand-in: `config.define_*`, `config.parse()`, enabled resources.

Tilt (internal/tiltfile/config): settings come from `tilt_config.json` beside the Tiltfile, then
from the args after `--` (`tilt up -- --no-port-forwards`), parsed with Go's `flag` package rules
(`--name`, `--name=value`, `--name value`; an unknown flag is refused with Go's wording). Without
`config.parse()` (or `config.set_enabled_resources`) positional args name the resources to enable.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class ArgsError(ValueError):
    """Bad Tiltfile args (the message is Tilt's)."""


@dataclass
class ConfigDefs:
    """The settings a Tiltfile defined and what `parse()` found."""

    kinds: dict[str, str] = field(default_factory=dict)  # name -> bool | string | string_list
    positional: str = ""  # the setting that takes positional args
    parsed: bool = False
    resources: list[str] | None = None  # set_enabled_resources

    def _define(self, kind: str, name: str, args: bool) -> None:
        if name in self.kinds:
            raise ArgsError(f"{name} defined multiple times")
        self.kinds[name] = kind
        if args:
            if self.positional:
                raise ArgsError(f"both {self.positional} and {name} are defined as positional args")
            self.positional = name

    def define_bool(self, name: str, args: bool = False, usage: str = "") -> None:
        self._define("bool", name, args)

    def define_string(self, name: str, args: bool = False, usage: str = "") -> None:
        self._define("string", name, args)

    def define_string_list(self, name: str, args: bool = False, usage: str = "") -> None:
        self._define("string_list", name, args)

    def set_enabled_resources(self, resources: Any) -> None:
        self.resources = [str(r) for r in (resources or [])]

    def parse(self, argv: list[str], folder: Path) -> dict[str, Any]:
        """The settings from `tilt_config.json` and `argv`.

        Raises:
            ArgsError: an unknown flag, a missing value, a bad boolean, unexpected positional args.
        """
        self.parsed = True
        values: dict[str, Any] = {}
        config_file = folder / "tilt_config.json"
        if config_file.is_file():
            try:
                loaded = json.loads(config_file.read_text(encoding="utf-8"))
            except ValueError as err:
                raise ArgsError(f"error parsing {config_file}: {err}") from None
            for key, value in (loaded or {}).items():
                if key not in self.kinds:
                    raise ArgsError(f"{config_file} specified unknown setting name '{key}'")
                values[key] = value
        values.update(self._from_args(argv))
        return values

    def _from_args(self, argv: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        positional: list[str] = []
        i = 0
        while i < len(argv):
            arg = argv[i]
            i += 1
            if arg == "--":
                positional += argv[i:]
                break
            if not arg.startswith("-") or arg == "-":
                positional.append(arg)
                continue
            name, eq, inline = arg.lstrip("-").partition("=")
            kind = self.kinds.get(name)
            if kind is None:
                raise ArgsError(f"flag provided but not defined: -{name}")
            if kind == "bool":
                if eq and inline not in _TRUE + _FALSE:
                    raise ArgsError(f'invalid boolean value "{inline}" for -{name}: parse error')
                values[name] = (inline in _TRUE) if eq else True
                continue
            if not eq:
                if i >= len(argv):
                    raise ArgsError(f"flag needs an argument: -{name}")
                inline = argv[i]
                i += 1
            if kind == "string_list":
                values.setdefault(name, []).append(inline)
            else:
                values[name] = inline
        if positional:
            if not self.positional:
                shown = " ".join(positional)
                raise ArgsError(
                    f'positional CLI args ("{shown}") were specified, but none were expected.\n'
                    "See https://docs.tilt.dev/tiltfile_config.html#positional-arguments for examples."
                )
            kind = self.kinds[self.positional]
            if kind == "string_list":
                values[self.positional] = positional
            elif len(positional) > 1:
                raise ArgsError(
                    f"{self.positional}: expected at most one positional arg, got {len(positional)}"
                )
            else:
                values[self.positional] = positional[0] if kind == "string" else positional[0] in _TRUE
        return values

    def enabled(self, argv: list[str]) -> list[str] | None:
        """The resources to enable: set_enabled_resources, else the args when parse() was not used,
        else None (all)."""
        if self.resources is not None:
            return list(self.resources)
        if not self.parsed and argv:
            return [a for a in argv if a != "--"]
        return None
