"""Following skaffold's `/v2/events` (served by the stand-in's HTTP gateway on 127.0.0.1): decoding
into typed store events, and the channel decision — `events`, or `log` on 404 or no answer."""

from __future__ import annotations

import threading
import time

from helpers import free_port, wait_for

from devstack.core import events as ev
from devstack.sources.skaffold_events import EventStream, event_time
from devstack_sim.standins.events import EventLog, EventServer, actionable


class Collected:
    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type[ev.Event]) -> list[ev.Event]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


def test_timestamps_are_read_to_the_microsecond_in_any_zone() -> None:
    assert event_time("2026-08-01T10:00:00.123456789Z", 0.0) == 1785578400.123456789
    assert event_time("2026-08-01T12:00:00+02:00", 0.0) == 1785578400.0
    assert event_time("yesterday", 7.0) == 7.0


def test_events_become_typed_store_events_and_the_channel_says_events() -> None:
    log = EventLog()
    log.meta("Starting Skaffold")
    log.task("DevLoop", "InProgress")
    log.build_step("jetscale-backend", "Cache", "Failed")
    log.build_step("jetscale-backend", "Build", "Failed", actionable("BUILD_UNKNOWN", "docker build: exit 1"))
    log.status_check(
        "jetscale:deployment/jetscale-backend",
        "InProgress",
        "creating container",
        "STATUSCHECK_CONTAINER_CREATING",
    )
    log.task("DevLoop", "Failed", error=actionable("BUILD_UNKNOWN", "build failed"))
    server = EventServer(free_port(), log).start()
    collected = Collected()
    stream = EventStream(server.port, collected, alive=lambda: True).start()
    try:
        wait_for(lambda: len(collected.of(ev.SkaffoldTask)) == 2, 10, "the past events")
        log.termination("build failed")
        assert stream.terminated.wait(10)
    finally:
        stream.stop()
        server.stop()
    [channel] = collected.of(ev.DeployChannel)
    assert channel.channel == "events" and f"127.0.0.1:{server.port}" in channel.detail  # type: ignore[attr-defined]
    kinds = [type(e).__name__ for e in collected.events]
    assert kinds == [
        "DeployChannel",
        "SkaffoldTask",
        "SkaffoldBuildStep",
        "SkaffoldBuildStep",
        "SkaffoldStatusCheck",
        "SkaffoldTask",
        "SkaffoldTerminated",
    ]
    build = collected.of(ev.SkaffoldBuildStep)[1]
    assert (build.artifact, build.step, build.status, build.error) == (  # type: ignore[attr-defined]
        "jetscale-backend",
        "Build",
        "Failed",
        "docker build: exit 1",
    )
    check = collected.of(ev.SkaffoldStatusCheck)[0]
    assert check.code == "STATUSCHECK_CONTAINER_CREATING" and check.message == "creating container"  # type: ignore[attr-defined]
    failed = collected.of(ev.SkaffoldTask)[1]
    assert (failed.task, failed.iteration, failed.status, failed.error) == (
        "DevLoop",
        1,
        "Failed",
        "build failed",
    )  # type: ignore[attr-defined]
    assert abs(failed.at - time.time()) < 60  # type: ignore[attr-defined]  # skaffold's own timestamp
    [end] = collected.of(ev.SkaffoldTerminated)
    assert (end.status, end.error) == ("Failed", "build failed")  # type: ignore[attr-defined]


def test_a_404_means_no_event_api_and_the_output_is_read_instead() -> None:
    log = EventLog()
    server = EventServer(free_port(), log, v1_only=True).start()
    collected = Collected()
    stream = EventStream(server.port, collected, alive=lambda: True).start()
    try:
        wait_for(lambda: collected.of(ev.DeployChannel), 10, "the channel")
    finally:
        stream.stop()
        server.stop()
    [channel] = collected.of(ev.DeployChannel)
    assert channel.channel == "log"  # type: ignore[attr-defined]
    assert "answered 404 Not Found for /v2/events" in channel.detail  # type: ignore[attr-defined]


def test_no_answer_within_the_wait_falls_back_to_the_output() -> None:
    collected = Collected()
    stream = EventStream(free_port(), collected, alive=lambda: True, api_wait=0.3).start()
    try:
        wait_for(lambda: collected.of(ev.DeployChannel), 10, "the channel")
    finally:
        stream.stop()
    [channel] = collected.of(ev.DeployChannel)
    assert channel.channel == "log" and "no event API answered on 127.0.0.1:" in channel.detail  # type: ignore[attr-defined]
