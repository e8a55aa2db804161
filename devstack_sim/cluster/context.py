"""What every pod and container worker of the node shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from devstack_sim.runtime import ClusterOptions
from devstack_sim.store import Store

from .events import EventRecorder
from .images import ImageTable


@dataclass
class NodeContext:
    """The node's services: store, image table, timings, events, and the status publisher."""

    store: Store
    images: ImageTable
    options: ClusterOptions
    events: EventRecorder
    node_name: str
    host_ip: str
    publish: Callable[[str], None]  # pod uid → write its status soon
    pulled: set[str] = field(default_factory=set)  # images present on the node


def go_duration(seconds: float) -> str:
    """Format a duration like Go's `time.Duration.String` (`300ms`, `2s`, `1.5s`, `5m0s`)."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        millis = round(seconds * 1000, 3)
        return f"{millis:g}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 9):g}s"
    if minutes >= 60:
        hours, minutes = divmod(int(minutes), 60)
        return f"{hours}h{minutes}m{text}"
    return f"{int(minutes)}m{text}" if minutes else text
