"""The skaffold stand-in's event API v2: `GET /v2/events` as newline-delimited JSON with proto field
names, past events first for a new subscriber, and events that agree with the printed lines."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import free_port
from standin_helpers import Standins

from devstack.core.toolout import parse_skaffold_line

pytestmark = pytest.mark.slow
CLUSTER = "evapi"
CONTEXT = f"kind-{CLUSTER}"


def dev_args(kubeconfig: Path, port: int) -> list[str]:
    return [
        "dev",
        "-p",
        "local-kind",
        "--kube-context",
        CONTEXT,
        "--kubeconfig",
        str(kubeconfig),
        "--port-forward=off",
        "--status-check=true",
        "--tail=false",
        f"--rpc-http-port={port}",
    ]


class Follower:
    """Reads `/v2/events` in a thread: every decoded line (the raw dict) lands in `events`."""

    def __init__(self, port: int):
        self.events: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self.ended = threading.Event()
        self.status = 0
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self._conn.request("GET", "/v2/events")
        response = self._conn.getresponse()
        self.status = response.status
        self.content_type = response.getheader("Content-Type", "")
        threading.Thread(target=self._read, args=(response,), daemon=True).start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        try:
            for line in response:
                text = line.decode()
                self.raw.append(text)
                self.events.append(json.loads(text))
        finally:
            self.ended.set()
            self._conn.close()

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e["result"][kind] for e in list(self.events) if kind in e["result"]]

    def wait(self, predicate: Any, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"waited for events; have {len(self.events)}"
            time.sleep(0.05)


def start(standins: Standins, args: list[str], cwd: Path) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    process = subprocess.Popen(
        [standins.which("skaffold"), *args],
        cwd=cwd,
        env=standins.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def until(
    process: subprocess.Popen[str], lines: queue.Queue[str], seen: list[str], text: str, count: int
) -> None:
    deadline = time.monotonic() + 90
    while seen.count(text) < count:
        assert time.monotonic() < deadline and process.poll() is None, seen[-20:]
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            continue


def connect_when_listening(port: int, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline and process.poll() is None, "no event API"
            time.sleep(0.05)


def agrees(printed: list[str], follower: Follower, iteration: int) -> None:
    """Every cache, build and status line printed in `iteration` has its event, and no more."""
    builds = [b for b in follower.of("buildSubtaskEvent") if b["task_id"] == f"Build-{iteration}"]
    checks = [c for c in follower.of("statusCheckSubtaskEvent") if c["task_id"] == f"Deploy-{iteration}"]
    cache_lines = {
        s.subject: s.detail
        for s in map(parse_skaffold_line, printed)
        if s and s.kind == "cache" and s.subject
    }
    cache_events = {
        b["artifact"]: b["status"] for b in builds if b["step"] == "Cache" and b["status"] != "InProgress"
    }
    assert {
        a: ("Succeeded" if d.startswith("Found") else "Failed") for a, d in cache_lines.items()
    } == cache_events
    built_lines = sorted(s.subject for s in map(parse_skaffold_line, printed) if s and s.kind == "build-done")
    built_events = sorted(
        b["artifact"] for b in builds if b["step"] == "Build" and b["status"] == "Succeeded"
    )
    assert built_lines == built_events
    ready_lines = sorted(
        s.subject for s in map(parse_skaffold_line, printed) if s and s.kind == "rollout-ready"
    )
    ready_events = sorted(c["resource"].rsplit("/", 1)[1] for c in checks if c["status"] == "Succeeded")
    assert ready_lines == ready_events


def test_dev_serves_v2_events_that_agree_with_its_output(standins: Standins, stack_copy: Path) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    standins.create(CLUSTER)
    port = free_port()
    process, lines = start(standins, dev_args(standins.kubeconfig, port), stack_copy)
    seen: list[str] = []
    try:
        connect_when_listening(port, process)
        early = Follower(port)
        assert early.status == 200 and early.content_type.startswith("application/json")
        until(process, lines, seen, "Watching for changes...", 1)
        early.wait(
            lambda: any(t["id"] == "DevLoop-1" and t["status"] == "Succeeded" for t in early.of("taskEvent"))
        )
        first_iteration = list(seen)
        # A late subscriber first gets every past event, in the same order.
        past = list(early.raw)
        late = Follower(port)
        late.wait(lambda: len(late.raw) >= len(past))
        assert late.raw[: len(past)] == past
        # Encoding: {"result": Event}, proto field names, unset fields present, enums by name.
        first = early.events[0]["result"]
        assert set(first) == {"timestamp", "metaEvent"} and first["timestamp"].endswith("Z")
        task = early.of("taskEvent")[0]
        assert set(task) == {"id", "task", "description", "iteration", "status", "actionableErr"}
        assert (task["id"], task["task"], task["iteration"], task["status"]) == (
            "DevLoop-1",
            "DevLoop",
            1,
            "InProgress",
        )
        build = early.of("buildSubtaskEvent")[0]
        assert {"id", "task_id", "artifact", "step", "status", "actionableErr"} <= set(build)
        check = early.of("statusCheckSubtaskEvent")[-1]
        assert check["statusCode"] == "STATUSCHECK_SUCCESS" and check["task_id"] == "Deploy-1"
        order = [(t["task"], t["status"]) for t in early.of("taskEvent")]
        assert order == [
            ("DevLoop", "InProgress"),
            ("Build", "InProgress"),
            ("Build", "Succeeded"),
            ("Deploy", "InProgress"),
            ("Deploy", "Succeeded"),
            ("StatusCheck", "InProgress"),
            ("StatusCheck", "Succeeded"),
            ("DevLoop", "Succeeded"),
        ]
        agrees(first_iteration, early, 1)
        # A change: the live stream carries iteration 2 (backend rebuilt, frontend from the cache).
        with (stack_copy / "demo" / "backend" / "app.py").open("a", encoding="utf-8") as handle:
            handle.write("\n# touched by the event API test\n")
        until(process, lines, seen, "Watching for changes...", 2)
        late.wait(
            lambda: any(t["id"] == "DevLoop-2" and t["status"] == "Succeeded" for t in late.of("taskEvent"))
        )
        cache = {
            b["artifact"]: b["status"]
            for b in late.of("buildSubtaskEvent")
            if b["task_id"] == "Build-2" and b["step"] == "Cache"
        }
        assert cache == {"jetscale-backend": "Failed", "jetscale-frontend": "Succeeded"}
        agrees(seen[len(first_iteration) :], late, 2)
        os.killpg(process.pid, signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert late.ended.wait(10) and early.ended.wait(10)
        assert late.of("terminationEvent") == [{"status": "Completed", "err": None}]
        assert "terminationEvent" in late.events[-1]["result"]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_busy_requested_port_fails_and_a_skaffold_without_v2_answers_404(
    standins: Standins, stack_copy: Path
) -> None:
    standins.env["DEVSTACK_SIM_DOCKER"] = "off"
    standins.create(CLUSTER)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    try:
        args = ["run", *dev_args(standins.kubeconfig, busy)[1:], "--enable-rpc"]
        failed = standins.run("skaffold", *args, cwd=stack_copy, timeout=60)
        assert failed.returncode == 1
        assert f"listen tcp 127.0.0.1:{busy}: bind: " in failed.stderr
    finally:
        holder.close()
    port = free_port()
    env = {**standins.env, "DEVSTACK_SIM_SKAFFOLD_EVENTS": "v1"}
    process = subprocess.Popen(
        [standins.which("skaffold"), *dev_args(standins.kubeconfig, port)],
        cwd=stack_copy,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        connect_when_listening(port, process)  # type: ignore[arg-type]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/v2/events")
        response = conn.getresponse()
        assert (response.status, response.read()) == (404, b"Not Found\n")
        conn.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
