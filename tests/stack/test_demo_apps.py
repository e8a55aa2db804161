"""The demo apps as real processes on 127.0.0.1: config, CORS, logging, failure switches, SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from helpers import REPO, free_port

BACKEND = REPO / "demo" / "backend" / "app.py"
FRONTEND = REPO / "demo" / "frontend" / "server.py"
PAGE_ORIGIN = "http://localhost:3000"
DEMO_ENV = (
    "PORT",
    "HOST",
    "ALLOWED_ORIGINS",
    "VITE_API_BASE_URL",
    "DEMO_CRASH_ON_START",
    "DEMO_DISABLE_CORS",
)


@dataclass
class App:
    """A demo app running as a subprocess."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def wait_until_listening(app: App, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            pytest.fail(f"{app.log.name} exited with {app.proc.returncode}:\n{app.output()}")
        try:
            socket.create_connection(("127.0.0.1", app.port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{app.log.name} did not listen on 127.0.0.1:{app.port}:\n{app.output()}")


def stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, wait, then SIGKILL: the process never outlives the test."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    return proc.returncode


def wait_for_log(app: App, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in (output := app.output()):
        if time.monotonic() > deadline:
            pytest.fail(f"{text!r} never appeared in the output of {app.log.name}:\n{output}")
        time.sleep(0.05)
    return output


@contextmanager
def running(script: Path, tmp_path: Path, **env: str) -> Iterator[App]:
    """Run a demo app on a free port with ``env``; stop it however the test ends."""
    port = free_port()
    log = tmp_path / f"{script.stem}-{port}.log"
    base = {k: v for k, v in os.environ.items() if k not in DEMO_ENV}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(script)],
            env={**base, "PORT": str(port), **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    app = App(proc, port, log)
    try:
        wait_until_listening(app)
        yield app
    finally:
        stop(proc)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[App]:
    with running(BACKEND, tmp_path, POD_NAME="jetscale-backend-abc12") as app:
        yield app


@pytest.fixture
def frontend(tmp_path: Path, backend: App) -> Iterator[App]:
    with running(FRONTEND, tmp_path, VITE_API_BASE_URL=f"http://127.0.0.1:{backend.port}") as app:
        yield app


def test_frontend_config_leads_the_page_to_the_backend_and_cors_lets_it_read(frontend: App, backend: App):
    env_json = request(frontend.port, "GET", "/env.json")
    config_js = request(frontend.port, "GET", "/config.js")
    assert env_json.status == config_js.status == 200
    base = env_json.json()["VITE_API_BASE_URL"]  # type: ignore[index]
    assert (
        config_js.body.decode()
        == f"window.__JETSCALE_CONFIG__ = {json.dumps({'VITE_API_BASE_URL': base})};\n"
    )
    target = urlsplit(base)
    assert target.hostname == "127.0.0.1"

    hello = request(target.port or 80, "GET", "/api/hello", {"Origin": PAGE_ORIGIN})

    assert hello.status == 200
    assert hello.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert hello.headers["Vary"] == "Origin"
    assert hello.json() == {"message": "hello from jetscale-backend", "pod": "jetscale-backend-abc12"}


def test_preflight_from_an_allowed_origin_is_answered(backend: App):
    reply = request(
        backend.port,
        "OPTIONS",
        "/api/hello",
        {
            "Origin": PAGE_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type, x-request-id",
        },
    )
    assert reply.status == 204
    assert reply.headers["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert reply.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert reply.headers["Access-Control-Allow-Headers"] == "content-type, x-request-id"
    assert int(reply.headers["Access-Control-Max-Age"]) > 0


def test_a_disallowed_origin_gets_no_cors_headers(backend: App):
    hello = request(backend.port, "GET", "/api/hello", {"Origin": "http://evil.example"})
    preflight = request(
        backend.port,
        "OPTIONS",
        "/api/hello",
        {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert hello.status == 200
    assert "Access-Control-Allow-Origin" not in hello.headers
    assert preflight.status == 403
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_allowed_origins_come_from_the_environment(tmp_path: Path):
    with running(BACKEND, tmp_path, ALLOWED_ORIGINS="http://a.test, http://b.test") as app:
        allowed = request(app.port, "GET", "/api/hello", {"Origin": "http://b.test"})
        default_origin = request(app.port, "GET", "/api/hello", {"Origin": PAGE_ORIGIN})
    with running(BACKEND, tmp_path, ALLOWED_ORIGINS="*") as app:
        wildcard = request(app.port, "GET", "/api/hello", {"Origin": "http://anything.test"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "http://b.test"
    assert "Access-Control-Allow-Origin" not in default_origin.headers
    assert wildcard.headers["Access-Control-Allow-Origin"] == "http://anything.test"


def test_demo_disable_cors_never_sends_cors_headers(tmp_path: Path):
    with running(BACKEND, tmp_path, DEMO_DISABLE_CORS="1") as app:
        hello = request(app.port, "GET", "/api/hello", {"Origin": PAGE_ORIGIN})
        preflight = request(
            app.port, "OPTIONS", "/api/hello", {"Origin": PAGE_ORIGIN, "Access-Control-Request-Method": "GET"}
        )
    assert hello.status == 200
    assert not [h for h in hello.headers if h.lower().startswith("access-control-")]
    assert not [h for h in preflight.headers if h.lower().startswith("access-control-")]


def test_demo_crash_on_start_exits_1_with_the_reason_on_stderr():
    env = {k: v for k, v in os.environ.items() if k not in DEMO_ENV}
    done = subprocess.run(
        [sys.executable, str(BACKEND)],
        env={**env, "DEMO_CRASH_ON_START": "1", "PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 1
    assert "FATAL: DATABASE_URL is not set" in done.stderr
    assert "listening on" not in done.stdout


def test_health_endpoints_answer(frontend: App, backend: App):
    assert request(backend.port, "GET", "/healthz").json() == {"status": "ok"}
    assert request(frontend.port, "GET", "/healthz").json() == {"status": "ok"}


def test_frontend_serves_the_page_which_loads_config_before_the_app(frontend: App):
    page = request(frontend.port, "GET", "/")
    app_js = request(frontend.port, "GET", "/assets/app.js")
    assert page.status == app_js.status == 200
    html = page.body.decode()
    assert html.index('src="/config.js"') < html.index('src="/assets/app.js"')
    script = app_js.body.decode()
    assert 'const BUILD_TIME_API_BASE_URL = "http://localhost:8000";' in script
    assert "window.__JETSCALE_CONFIG__" in script and "/api/hello" in script
    assert request(frontend.port, "GET", "/../server.py").status == 404
    assert request(frontend.port, "GET", "/server.py").status == 404


def test_frontend_api_base_url_defaults_to_localhost_8000(tmp_path: Path):
    with running(FRONTEND, tmp_path) as app:
        assert request(app.port, "GET", "/env.json").json() == {"VITE_API_BASE_URL": "http://localhost:8000"}


def test_apps_bind_loopback_by_default_log_each_request_and_stop_cleanly_on_sigterm(
    frontend: App, backend: App
):
    for app, path in ((backend, "/api/hello"), (frontend, "/config.js")):
        assert f"listening on 127.0.0.1:{app.port}" in app.output()
        request(app.port, "GET", path)
        wait_for_log(app, f'"GET {path} HTTP/1.1" 200')  # logged (and flushed) while still running
        assert stop(app.proc) == 0
        assert "shut down" in app.output()


def test_backend_never_logs_secret_values(tmp_path: Path):
    secrets = {"DATABASE_URL": "postgres://app:s3cr3t-pw@db:5432/app", "API_TOKEN": "tok-9f8e7d"}
    with running(BACKEND, tmp_path, **secrets) as app:
        request(app.port, "GET", "/api/hello")
        output = wait_for_log(app, "GET /api/hello")
    assert "DATABASE_URL set" in output and "API_TOKEN set" in output
    assert "s3cr3t-pw" not in output and "tok-9f8e7d" not in output
