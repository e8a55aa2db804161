"""Helpers for the cluster tests: test programs, manifests, polling and a store recorder."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import psutil

from devstack_sim.cluster import Cluster, ImageSpec, ImageTable
from devstack_sim.resources import EVENTS, PODS
from devstack_sim.runtime import ClusterOptions
from devstack_sim.store import Change, Store

T = TypeVar("T")

FAST = ClusterOptions(
    backoff_base_seconds=0.2,
    backoff_cap_seconds=0.8,
    image_pull_seconds=0.02,
    container_create_seconds=0.01,
    probe_period_cap_seconds=0.1,
    termination_grace_cap_seconds=3.0,
    image_pull_backoff_seconds=0.2,
)

# A tiny HTTP server. GET /healthz → 200; /ready → 503 until READY_AFTER seconds passed (always 503
# with NEVER_READY=1); /env/NAME → the value of $NAME; anything else → "hello from <POD_NAME>".
# On SIGTERM it keeps serving TERM_DELAY seconds, then exits 0.
WEB = """
import os, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

host, port = os.environ["HOST"], int(os.environ["PORT"])
ready_after = float(os.environ.get("READY_AFTER", "0"))
never_ready = os.environ.get("NEVER_READY") == "1"
term_delay = float(os.environ.get("TERM_DELAY", "0"))
started = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, "hello from " + os.environ.get("POD_NAME", "?")
        if self.path == "/ready" and (never_ready or time.monotonic() - started < ready_after):
            code, body = 503, "not ready"
        elif self.path.startswith("/env/"):
            body = os.environ.get(self.path[5:], "<unset>")
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print(self.command, self.path, self.headers.get("User-Agent"), flush=True)


server = ThreadingHTTPServer((host, port), Handler)


def on_term(signum, frame):
    print("got SIGTERM", flush=True)

    def stop():
        time.sleep(term_delay)
        server.shutdown()

    threading.Thread(target=stop, daemon=True).start()


signal.signal(signal.SIGTERM, on_term)
print(f"listening on {host}:{port}", flush=True)
server.serve_forever()
print("bye", flush=True)
"""

CRASH = """
import sys
print("starting up", flush=True)
print("fatal: cannot reach the database, exit 3", flush=True)
sys.exit(3)
"""

TICKER = """
import sys, time
n = 0
while True:
    print(f"tick {n}", flush=True)
    n += 1
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0.1)
"""


def write_programs(folder: Path) -> ImageTable:
    """Write the test programs into `folder` and return an image table that runs them."""
    programs = {"web.py": WEB, "crash.py": CRASH, "ticker.py": TICKER}
    for name, text in programs.items():
        (folder / name).write_text(textwrap.dedent(text))
    env = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def spec(program: str, *args: str) -> ImageSpec:
        return ImageSpec(command=(sys.executable, str(folder / program)), args=args, cwd=folder, env=env)

    return ImageTable(
        {
            "test/web": spec("web.py"),
            "test/crash": spec("crash.py"),
            "test/ticker": spec("ticker.py", "0.1"),
            "test/ok": ImageSpec(command=(sys.executable, "-c", "print('done')"), cwd=folder),
            "sim/noop": ImageSpec(),
        }
    )


async def wait_for(predicate: Callable[[], T], timeout: float = 10.0, what: str = "") -> T:
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or predicate}; last: {value!r}"
            )
        await asyncio.sleep(0.02)


def container(
    name: str = "app",
    image: str = "test/web",
    port: int | None = 8000,
    readiness: str | None = "/ready",
    env: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A container spec; with a named port `http` and an HTTP readiness probe by default."""
    spec: dict[str, Any] = {"name": name, "image": image}
    if port is not None:
        spec["ports"] = [{"name": "http", "containerPort": port}]
    if readiness is not None:
        spec["readinessProbe"] = {"httpGet": {"path": readiness, "port": "http"}, "periodSeconds": 1}
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    spec.update(extra)
    return spec


def deployment(
    name: str, replicas: int = 2, namespace: str = "default", **container_args: Any
) -> dict[str, Any]:
    """A Deployment manifest running one container."""
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [container(**container_args)], "terminationGracePeriodSeconds": 30},
            },
        },
    }


def pod(
    name: str, namespace: str = "default", labels: dict[str, str] | None = None, **container_args: Any
) -> dict[str, Any]:
    """A bare Pod manifest running one container."""
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": name}},
        "spec": {"containers": [container(**container_args)], "restartPolicy": "Always"},
    }


def container_status(store: Store, namespace: str, name: str, index: int = 0) -> dict[str, Any]:
    """A pod's n-th container status ({} when there is none yet)."""
    obj = store.get(PODS, namespace, name)
    statuses = (obj or {}).get("status", {}).get("containerStatuses") or []
    return statuses[index] if len(statuses) > index else {}


def condition(obj: dict[str, Any] | None, type_: str) -> dict[str, Any]:
    """A status condition of an object ({} when absent)."""
    for cond in (obj or {}).get("status", {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return {}


def events_for(store: Store, name: str, reason: str | None = None) -> list[dict[str, Any]]:
    """Events whose involved object has this name (and reason)."""
    return [
        e
        for e in store.iter_all(EVENTS)
        if e["involvedObject"]["name"] == name and (reason is None or e["reason"] == reason)
    ]


class Timeline:
    """Records every pod state the store goes through, so brief states are not missed by polling."""

    def __init__(self, store: Store):
        self.states: dict[str, list[str]] = {}
        store.subscribe(self._record)

    def _record(self, change: Change) -> None:
        if change.rtype.key != PODS.key or change.type == "DELETED":
            return
        status = change.obj.get("status") or {}
        statuses = status.get("containerStatuses") or []
        label = status.get("phase", "")
        if statuses:
            state = statuses[0].get("state") or {}
            kind = next(iter(state), "")
            reason = (state.get(kind) or {}).get("reason", "")
            label += f"/{kind}" + (f":{reason}" if reason else "")
            label += "/ready" if statuses[0].get("ready") else ""
        seen = self.states.setdefault(change.obj["metadata"]["name"], [])
        if not seen or seen[-1] != label:
            seen.append(label)

    def of(self, name: str) -> list[str]:
        """The distinct successive states of one pod."""
        return self.states.get(name, [])


def child_processes() -> list[psutil.Process]:
    """Live (non-zombie-reaped) descendants of the test process."""
    return psutil.Process().children(recursive=True)


ClusterFactory = Callable[..., Awaitable[Cluster]]
