"""A bounded, followable log of one container instance, timestamped as the kubelet does it."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from .meta import rfc3339_nano

DEFAULT_LINES = 10_000


class LogBuffer:
    """The last `limit` lines a container wrote, each with an RFC 3339 timestamp (9 digits)."""

    def __init__(self, limit: int = DEFAULT_LINES):
        self._lines: deque[tuple[str, bytes]] = deque(maxlen=limit)
        self._total = 0  # lines ever appended; index of the next line
        self._closed = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def closed(self) -> bool:
        """True once the instance ended: no more lines will come."""
        return self._closed

    def __len__(self) -> int:
        return len(self._lines)

    def append(self, line: bytes) -> None:
        """Add one line (without its newline)."""
        self._lines.append((rfc3339_nano(), line))
        self._total += 1
        self._wake()

    def close(self) -> None:
        """Mark the end of the instance's output; followers stop after the last line."""
        self._closed = True
        self._wake()

    def lines(self) -> list[bytes]:
        """The kept lines, oldest first (for tests and debugging)."""
        return [line for _, line in self._lines]

    async def read(
        self, tail_lines: int | None = None, timestamps: bool = False, follow: bool = False
    ) -> AsyncIterator[bytes]:
        """Yield lines (newline-terminated); with `follow`, keep yielding until the buffer closes."""
        first = self._total - len(self._lines)
        cursor = first if tail_lines is None else max(first, self._total - max(tail_lines, 0))
        while True:
            while cursor < self._total:
                first = self._total - len(self._lines)
                cursor = max(cursor, first)  # a slow reader may have lost lines to the bound
                stamp, line = self._lines[cursor - first]
                cursor += 1
                yield (f"{stamp} ".encode() + line + b"\n") if timestamps else line + b"\n"
            if not follow or self._closed:
                return
            await self._wait()

    def _wait(self) -> asyncio.Future[None]:
        if self._waiter is None or self._waiter.done():
            self._waiter = asyncio.get_running_loop().create_future()
        return asyncio.shield(self._waiter)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        self._waiter = None
