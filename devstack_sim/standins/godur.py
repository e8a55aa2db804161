"""Go's `time.Duration`: parse `1m30s`, print `2m0s`, and skaffold's `Humanize` ("3.213 seconds")."""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse(text: str) -> float:
    """Seconds in a Go duration string (`0`, `120s`, `1m30s`, `1.5h`).

    Raises:
        ValueError: with Go's message, `time: invalid duration "x"`.
    """
    raw = text.strip()
    body = raw.lstrip("+-")
    sign = -1.0 if raw.startswith("-") else 1.0
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        if body and _PART.match(body) is None and re.fullmatch(r"\d+(\.\d*)?", body):
            raise ValueError(f'time: missing unit in duration "{raw}"')
        raise ValueError(f'time: invalid duration "{raw}"')
    return sign * total


def _trim(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return text or "0"


def format_duration(seconds: float) -> str:
    """Go's `Duration.String()`: `0s`, `450ms`, `3.5s`, `2m0s`, `1h2m3s`."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 1e-6:
        return f"{sign}{_trim(seconds * 1e9, 0)}ns"
    if seconds < 1e-3:
        return f"{sign}{_trim(seconds * 1e6, 3)}µs"
    if seconds < 1:
        return f"{sign}{_trim(seconds * 1e3, 6)}ms"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{_trim(secs, 9)}s"
    if hours or minutes:
        text = f"{int(minutes)}m{text}"
    if hours:
        text = f"{int(hours)}h{text}"
    return sign + text


def round_seconds(seconds: float) -> str:
    """`duration.Round(time.Second).String()` (how kind prints waits: `2m0s`, `15s`)."""
    return format_duration(float(round(seconds)))


def humanize(seconds: float) -> str:
    """skaffold's `timeutil.Humanize`: `68.121516ms`, `3.213 seconds`, `1 minute 43.139 seconds`."""
    if seconds < 1:
        return format_duration(seconds)
    short = int(seconds * 1000) / 1000
    text = format_duration(short)
    text = text.replace("h", " hour ").replace("m", " minute ").replace("s", " second")
    hours, rest = divmod(int(short), 3600)
    minutes, secs = divmod(rest, 60)
    if hours > 1:
        text = text.replace("hour", "hours")
    if minutes > 1:
        text = text.replace("minute", "minutes")
    if secs != 1:
        text = text.replace("second", "seconds")
    return text
