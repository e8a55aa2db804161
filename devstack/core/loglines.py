"""Log lines of many containers, interleaved: each line knows its pod, container and the kubelet's
timestamp, so lines from every pod of a workload can be put in the order they were written and shown
with or without the timestamp and the `[pod/NAME/CONTAINER]` prefix (kubectl's `--prefix`)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from devstack.core.shown import printable

NOTICE = "──"
LINE_CHARS = 2000


@dataclass(frozen=True, order=True)
class LogLine:
    """One line of a container's log (or a notice of devstack's own, `notice=True`)."""

    order: tuple[int, int] = field(compare=True)
    """(seconds, nanoseconds) of the kubelet's timestamp: the sort key (0, 0) when unknown."""
    seq: int = field(compare=True, default=0)
    stamp: str = field(compare=False, default="")
    pod: str = field(compare=False, default="")
    container: str = field(compare=False, default="")
    text: str = field(compare=False, default="")
    notice: bool = field(compare=False, default=False)

    @property
    def prefix(self) -> str:
        """`[pod/NAME/CONTAINER]`, as `kubectl logs --prefix` writes it."""
        return f"[pod/{self.pod}/{self.container}]"

    def render(self, timestamps: bool = False, prefix: bool = True) -> str:
        """The line as shown: optional timestamp, optional prefix, the text (control characters escaped)."""
        parts = []
        if timestamps and self.stamp:
            parts.append(self.stamp)
        if prefix and self.pod and not self.notice:
            parts.append(self.prefix)
        parts.append(printable(self.text, LINE_CHARS))
        return " ".join(parts)


def stamp_order(stamp: str) -> tuple[int, int] | None:
    """(seconds, nanoseconds) of an RFC 3339 timestamp with up to 9 fraction digits; None if not one."""
    head, dot, rest = stamp.partition(".")
    fraction, zone = "", ""
    if dot:
        digits = len(rest) - len(rest.lstrip("0123456789"))
        fraction, zone = rest[:digits], rest[digits:]
    else:
        cut = next((i for i in range(len(head) - 1, 9, -1) if head[i] in "Z+-"), len(head))
        head, zone = head[:cut], head[cut:]
    try:
        moment = datetime.fromisoformat(head + (zone.replace("Z", "+00:00") or "+00:00"))
    except ValueError:
        return None
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    return int(moment.timestamp()), nanos


def parse_line(raw: str, pod: str, container: str, seq: int = 0) -> LogLine:
    """A line as the API sends it with `timestamps=true` (`STAMP text`); without a stamp, the text."""
    stamp, _, text = raw.partition(" ")
    order = stamp_order(stamp)
    if order is None:
        return LogLine((0, 0), seq, "", pod, container, raw)
    return LogLine(order, seq, stamp, pod, container, text)


def notice(text: str, order: tuple[int, int] = (0, 0), seq: int = 0) -> LogLine:
    """A line of devstack's own (stream ended, cannot follow...)."""
    return LogLine(order, seq, "", "", "", f"{NOTICE} {text}", notice=True)


def merged(lines: Iterable[LogLine]) -> list[LogLine]:
    """Lines of many containers in the order they were written (stable for equal stamps)."""
    return sorted(lines)


class Interleaved:
    """A bounded buffer of lines kept in timestamp order as batches arrive from many followers.

    `add` returns whether every new line went to the end (the view can append) or some went
    earlier (the view redraws).
    """

    def __init__(self, limit: int = 10_000):
        self.limit = limit
        self.lines: list[LogLine] = []
        self._seq = 0

    def add(self, batch: Iterable[LogLine]) -> bool:
        """Insert lines in order; True when all of them landed after the lines already there.

        Lines with the same timestamp keep their arrival order; a notice (or a line without a
        timestamp) goes after the last line there is.
        """
        appended = True
        for incoming in batch:
            self._seq += 1
            order = incoming.order
            if (incoming.notice or order == (0, 0)) and self.lines:
                order = self.lines[-1].order
            line = replace(incoming, order=order, seq=self._seq)
            if self.lines and line < self.lines[-1]:
                appended = False
                bisect.insort(self.lines, line)
            else:
                self.lines.append(line)
        if len(self.lines) > self.limit:
            del self.lines[: len(self.lines) - self.limit]
        return appended

    def clear(self) -> None:
        """Forget every line."""
        self.lines.clear()
