"""The pieces of `kubectl describe`'s layout: tab-aligned columns, its time and age formats, label and
annotation blocks, the Events table, and the generic nested rendering of any field.

Lines are built with `\\t` between cells; `align` then pads every cell of a run of tabbed lines to the
widest one plus two spaces, as kubectl's tabwriter does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from devstack.core.redact import redact_text
from devstack.core.shown import printable

NONE = "<none>"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
VALUE_CHARS = 2000


def align(lines: Iterable[str]) -> list[str]:
    """Pad the cells of each run of consecutive tabbed lines into columns (2 spaces apart)."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        widths: list[int] = []
        for cells in block:
            for index, cell in enumerate(cells[:-1]):
                if index >= len(widths):
                    widths.append(0)
                widths[index] = max(widths[index], len(cell))
        for cells in block:
            padded = [cell.ljust(widths[i] + 2) for i, cell in enumerate(cells[:-1])]
            out.append(("".join(padded) + cells[-1]).rstrip())
        block.clear()

    for line in lines:
        if "\t" in line:
            block.append(line.split("\t"))
            continue
        if block:
            flush()
        out.append(line.rstrip())
    if block:
        flush()
    return out


def parse_time(stamp: object) -> datetime | None:
    """An RFC 3339 timestamp (None for "" or garbage)."""
    if not isinstance(stamp, str) or not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(stamp: object) -> str:
    """kubectl's describe time: `Mon, 02 Jan 2006 15:04:05 +0000` (the stamp as given when unparsable)."""
    parsed = parse_time(stamp)
    if parsed is None:
        return str(stamp or NONE)
    return parsed.strftime("%a, %d %b %Y %H:%M:%S %z")


def human_duration(seconds: float) -> str:
    """kubectl's HumanDuration: 45s, 5m10s, 3h20m, 2d4h, 400d, 3y40d."""
    value = int(max(seconds, 0))
    if value < 120:
        return f"{value}s"
    minutes = value // 60
    if minutes < 10:
        rest = value % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = value // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def since(stamp: object, now: float) -> str:
    """The age of a timestamp at `now` (`<unknown>` when it has none)."""
    parsed = parse_time(stamp)
    return "<unknown>" if parsed is None else human_duration(now - parsed.timestamp())


def text(value: object, limit: int = VALUE_CHARS) -> str:
    """A value as one printable line (control characters escaped, cut at `limit`)."""
    return printable(str(value), limit)


def mapping_lines(title: str, values: object, separator: str = "=", skip: Sequence[str] = ()) -> list[str]:
    """`Labels:  a=b` then continuation lines (`<none>` when empty); skipped keys are left out."""
    items = sorted(
        (str(k), v) for k, v in (values.items() if isinstance(values, Mapping) else ()) if k not in skip
    )
    if not items:
        return [f"{title}:\t{NONE}"]
    lines = []
    for index, (key, value) in enumerate(items):
        head = f"{title}:" if index == 0 else ""
        shown = text(value, 200) if separator == ": " else text(value)
        lines.append(f"{head}\t{text(key)}{separator}{shown}")
    return lines


def meta_lines(obj: Mapping[str, Any], *, created: bool = False) -> list[str]:
    """Name, Namespace (for namespaced objects), CreationTimestamp, Labels and Annotations."""
    meta = obj.get("metadata") or {}
    lines = [f"Name:\t{text(meta.get('name', ''))}"]
    if meta.get("namespace"):
        lines.append(f"Namespace:\t{text(meta['namespace'])}")
    if created:
        lines.append(f"CreationTimestamp:\t{when(meta.get('creationTimestamp'))}")
    lines += mapping_lines("Labels", meta.get("labels"))
    lines += mapping_lines("Annotations", meta.get("annotations"), ": ", skip=(LAST_APPLIED,))
    return lines


def condition_lines(conditions: object, with_reason: bool = False) -> list[str]:
    """`Conditions:` then a Type / Status (/ Reason) table."""
    rows = [c for c in conditions if isinstance(c, Mapping)] if isinstance(conditions, list) else []
    if not rows:
        return []
    if with_reason:
        lines = ["Conditions:", "  Type\tStatus\tReason", "  ----\t------\t------"]
        lines += [f"  {c.get('type', '')}\t{c.get('status', '')}\t{c.get('reason') or ''}" for c in rows]
        return lines
    lines = ["Conditions:", "  Type\tStatus"]
    return lines + [f"  {c.get('type', '')}\t{c.get('status', '')}" for c in rows]


def event_lines(events: Sequence[Mapping[str, Any]], now: float) -> list[str]:
    """`Events:` and the Type / Reason / Age / From / Message table, oldest first (`<none>`)."""
    if not events:
        return [f"Events:\t{NONE}"]

    def last(event: Mapping[str, Any]) -> str:
        return str(event.get("lastTimestamp") or event.get("eventTime") or "")

    lines = ["Events:", "  Type\tReason\tAge\tFrom\tMessage", "  ----\t------\t----\t----\t-------"]
    for event in sorted(events, key=last):
        source = event.get("source") or {}
        origin = source.get("component") or event.get("reportingComponent") or "<unknown>"
        age = since(last(event), now)
        count = event.get("count") or 1
        if isinstance(count, int) and count > 1:
            first = event.get("firstTimestamp") or last(event)
            age = f"{age} (x{count} over {since(first, now)})"
        message = redact_text(text(event.get("message") or event.get("note") or ""))
        lines.append(f"  {event.get('type', '')}\t{event.get('reason', '')}\t{age}\t{origin}\t{message}")
    return lines


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+|[A-Z]")


def smart_label(key: str) -> str:
    """`ingressClassName` → `Ingress Class Name` (kubectl's label for a field of any object)."""
    words = _WORD.findall(key) or [key]
    return " ".join(word[:1].upper() + word[1:] for word in words)


def nested_lines(value: object, indent: int = 0) -> list[str]:
    """Any field, nested the way `kubectl describe` shows objects it has no describer for."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            label = smart_label(str(key))
            if isinstance(item, Mapping | list) and item:
                lines.append(f"{pad}{label}:")
                lines += nested_lines(item, indent + 2)
            else:
                lines.append(f"{pad}{label}:\t{_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping | list):
                lines += nested_lines(item, indent)
            else:
                lines.append(f"{pad}{_scalar(item)}")
    else:
        lines.append(f"{pad}{_scalar(value)}")
    return lines


def _scalar(value: object) -> str:
    if value is None or value in ({}, []):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return text(value)


def quantity_lines(title: str, values: object, indent: int) -> list[str]:
    """`Limits:` / `Requests:` and their resources (nothing when empty)."""
    if not isinstance(values, Mapping) or not values:
        return []
    pad = " " * indent
    return [f"{pad}{title}:"] + [f"{pad}  {k}:\t{text(v)}" for k, v in sorted(values.items())]
