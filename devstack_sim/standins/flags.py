"""A small command-line parser with the conventions of Go's pflag (what kind and skaffold use).

`--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue`; booleans as `--flag`,
`--flag=true|false`; list flags repeat and split on commas; `--` ends the flags. Errors carry
pflag's wording (`unknown flag: --x`, `flag needs an argument: --x`, `invalid argument ...`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "bool", "list"]
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class FlagError(Exception):
    """A usage error, worded like pflag."""


@dataclass(frozen=True)
class Flag:
    """One accepted flag."""

    name: str
    short: str = ""
    kind: Kind = "str"
    help: str = ""
    # A bare `--flag` of a str flag takes this value (pflag's NoOptDefVal), e.g. --port-forward.
    bare: str | None = None


@dataclass
class Parsed:
    """What the command line said: flag values (only those given) and positional arguments."""

    values: dict[str, str | bool | list[str]] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)

    def given(self, name: str) -> bool:
        """Whether the flag appeared on the command line."""
        return name in self.values

    def text(self, name: str, default: str = "") -> str:
        """A string flag's value."""
        value = self.values.get(name, default)
        return value if isinstance(value, str) else default

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean flag's value."""
        value = self.values.get(name, default)
        return value if isinstance(value, bool) else default

    def items(self, name: str) -> list[str]:
        """A list flag's values (comma-separated parts of every occurrence)."""
        value = self.values.get(name, [])
        return list(value) if isinstance(value, list) else []


def parse_bool(text: str, flag: str) -> bool:
    """Go's strconv.ParseBool, with pflag's error text."""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FlagError(
        f'invalid argument "{text}" for "--{flag}" flag: strconv.ParseBool: parsing "{text}": invalid syntax'
    )


def parse(argv: list[str], flags: list[Flag]) -> Parsed:
    """Parse `argv` against `flags`.

    Raises:
        FlagError: unknown flag, missing value or a bad boolean.
    """
    by_long = {f.name: f for f in flags}
    by_short = {f.short: f for f in flags if f.short}
    parsed = Parsed()
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            parsed.args.extend(argv[i:])
            break
        if arg.startswith("--") and len(arg) > 2:
            name, eq, inline = arg[2:].partition("=")
            flag = by_long.get(name)
            if flag is None:
                raise FlagError(f"unknown flag: --{name}")
            shown = f"--{name}"
        elif arg.startswith("-") and len(arg) > 1:
            letter, rest = arg[1], arg[2:]
            flag = by_short.get(letter)
            if flag is None:
                raise FlagError(f"unknown shorthand flag: '{letter}' in {arg}")
            eq = "=" if rest else ""
            inline = rest[1:] if rest.startswith("=") else rest
            shown = f"'{letter}' in -{letter}"
        else:
            parsed.args.append(arg)
            continue
        if flag.kind == "bool":
            parsed.values[flag.name] = parse_bool(inline, flag.name) if eq else True
            continue
        if eq:
            value = inline
        elif flag.bare is not None:
            value = flag.bare
        elif i < len(argv):
            value = argv[i]
            i += 1
        else:
            raise FlagError(f"flag needs an argument: {shown}")
        if flag.kind == "list":
            current = parsed.values.setdefault(flag.name, [])
            assert isinstance(current, list)
            current.extend(part for part in value.split(",") if part)
        else:
            parsed.values[flag.name] = value
    return parsed
