"""Redaction for diagnostic bundles: secrets never leave the machine in a report."""

from __future__ import annotations

import re

REDACTED = "<redacted>"
_SENSITIVE = re.compile(r"(TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL|AUTH)", re.IGNORECASE)
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z0-9_.-]*(?:TOKEN|PASSWORD|PASSWD|SECRET|KEY|CREDENTIAL)[A-Za-z0-9_.-]*)"
    r"(?P<sep>\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|\S+)",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)(?P<password>[^@\s]+)(?P<at>@)")


def sensitive_name(name: str) -> bool:
    """Whether an env var or key name looks like it holds a secret."""
    return bool(_SENSITIVE.search(name))


def redact_value(name: str, value: str) -> str:
    """The value, or `<redacted>` when the name looks secret; passwords in URLs are always hidden."""
    if sensitive_name(name):
        return REDACTED
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{REDACTED}{m['at']}", value)


def redact_line(line: str) -> str:
    """A log line with `NAME=value` / `NAME: value` secrets and URL passwords hidden."""
    line = _ASSIGNMENT.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", line)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{REDACTED}{m['at']}", line)
