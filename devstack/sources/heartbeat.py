"""A heartbeat for the API server: a hung server is reported as unreachable in bounded time.

A watch can wait a long time for its next line (an idle namespace sends none), so a watch alone
cannot tell a quiet server from a hung one (a stopped process still accepts TCP connections: the
kernel completes the handshake, nothing answers). The heartbeat asks `/version` every `period`
seconds with a short connect/read timeout. When that fails it reports `ApiStatus(False)` and
aborts the watches (they may be blocked on a stream that will never deliver), which then retry
with their own backoff; when it answers again it reports `ApiStatus(True)`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from devstack.core import events as ev

PERIOD_SECONDS = 5.0
TIMEOUT_SECONDS = (3.0, 5.0)  # connect (TCP + TLS handshake), read


class Heartbeat:
    """Polls the API server's `/version` in a thread until stopped."""

    def __init__(
        self,
        api_client: Any,
        sink: Callable[[ev.Event], None],
        stop: threading.Event,
        on_lost: Callable[[], None],
        describe: Callable[[BaseException], str] = repr,
        period: float = PERIOD_SECONDS,
        timeout: tuple[float, float] = TIMEOUT_SECONDS,
    ):
        self._client = api_client
        self._sink = sink
        self._stop = stop
        self._on_lost = on_lost
        self._describe = describe
        self._period = period
        self._timeout = timeout
        self.failures = 0
        self._thread = threading.Thread(target=self.run, name="api-heartbeat", daemon=True)

    def start(self) -> None:
        """Begin polling."""
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end (after the stop event is set)."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    def beat(self) -> bool:
        """Ask once; report a change; True when the server answered."""
        from kubernetes import client

        try:
            client.VersionApi(self._client).get_code(_request_timeout=self._timeout)
        except Exception as err:  # noqa: BLE001 - any failure means no answer in time
            if self._stop.is_set():
                return False
            self.failures += 1
            seconds = sum(self._timeout)
            error = f"no answer within {seconds:g}s: {self._describe(err)}"
            self._sink(ev.ApiStatus(False, at=time.time(), error=error))
            if self.failures == 1:
                self._on_lost()
            return False
        if self.failures:
            self.failures = 0
            self._sink(ev.ApiStatus(True, at=time.time()))
        return True

    def run(self) -> None:
        """Thread body: one beat per period until the stop event is set."""
        while not self._stop.wait(self._period):
            self.beat()
