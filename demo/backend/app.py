"""jetscale demo backend: a tiny JSON API on the Python standard library.

Routes:
    GET /healthz     200 {"status": "ok"}
    GET /api/hello   200 {"message": "hello from jetscale-backend", "pod": <POD_NAME or hostname>}
    GET /api/bytes?n=N  N bytes of zeros (at most 256 MiB): for throughput measurements
    OPTIONS *        CORS preflight (204 for an allowed Origin, 403 otherwise)

Environment:
    PORT              port to listen on (default 8000)
    HOST              address to bind (default 127.0.0.1; the container image sets 0.0.0.0)
    ALLOWED_ORIGINS   comma-separated CORS origins (default http://localhost:3000); "*" allows any
    POD_NAME          reported by /api/hello (default: the hostname)
    DATABASE_URL      read if present; only whether it is set is ever logged, never its value
    API_TOKEN         read if present; only whether it is set is ever logged, never its value

Failure switches, for demos and tests:
    DEMO_CRASH_ON_START=1  print "FATAL: DATABASE_URL is not set" to stderr and exit 1 at once,
                           the way a misconfigured service dies in a CrashLoopBackOff
    DEMO_DISABLE_CORS=1    never send CORS headers, so browsers block the frontend's calls

Every request is logged to stdout as one line; SIGTERM stops the server cleanly (exit 0).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

ALLOWED_METHODS = "GET, POST, OPTIONS"
PREFLIGHT_MAX_AGE = "600"
MAX_BYTES = 256 * 1024 * 1024
SERVICE_NAME = "jetscale-backend"


@dataclass(frozen=True)
class Settings:
    """Configuration read once from the environment at start-up."""

    host: str
    port: int
    allowed_origins: frozenset[str]
    pod: str
    cors_enabled: bool
    database_configured: bool
    api_token_configured: bool

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Settings:
        """Build settings from an environment mapping."""
        origins = env.get("ALLOWED_ORIGINS", "http://localhost:3000")
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            allowed_origins=frozenset(o.strip() for o in origins.split(",") if o.strip()),
            pod=env.get("POD_NAME") or socket.gethostname(),
            cors_enabled=env.get("DEMO_DISABLE_CORS") != "1",
            database_configured=bool(env.get("DATABASE_URL")),
            api_token_configured=bool(env.get("API_TOKEN")),
        )

    def origin_allowed(self, origin: str | None) -> bool:
        """Tell whether a request's Origin may read responses."""
        if not self.cors_enabled or not origin:
            return False
        return "*" in self.allowed_origins or origin in self.allowed_origins


def make_handler(settings: Settings) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class bound to ``settings``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "jetscale-backend/0.1"
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY, keep-alive clients
        # wait ~40 ms per response for the delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            print(f"{self.address_string()} - {format % args}", flush=True)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path == "/healthz":
                self._send_json(200, {"status": "ok"})
            elif path == "/api/hello":
                self._send_json(200, {"message": f"hello from {SERVICE_NAME}", "pod": settings.pod})
            elif path == "/api/bytes":
                self._send_bytes(urlsplit(self.path).query)
            else:
                self._send_json(404, {"error": "not found", "path": path})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self._send_json(405, {"error": "method not allowed"}, {"Allow": "GET, OPTIONS"})

        def do_OPTIONS(self) -> None:
            origin = self.headers.get("Origin")
            if not settings.cors_enabled or origin is None:
                self._send_empty(204, {"Allow": ALLOWED_METHODS})
                return
            if not settings.origin_allowed(origin):
                self._send_json(403, {"error": f"origin {origin} is not allowed"})
                return
            requested = self.headers.get("Access-Control-Request-Headers", "Content-Type")
            self._send_empty(
                204,
                {
                    "Access-Control-Allow-Methods": ALLOWED_METHODS,
                    "Access-Control-Allow-Headers": requested,
                    "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
                },
            )

        def _cors_headers(self) -> dict[str, str]:
            origin = self.headers.get("Origin")
            if origin is not None and settings.origin_allowed(origin):
                return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
            return {}

        def _send_json(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(extra or {})}
            self._respond(status, headers, data)

        def _send_bytes(self, query: str) -> None:
            fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
            size = fields.get("n", "0")
            if not size.isdigit() or int(size) > MAX_BYTES:
                self._send_json(400, {"error": f"n must be an integer 0-{MAX_BYTES}"})
                return
            remaining = int(size)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(remaining))
            self.end_headers()
            chunk = bytes(64 * 1024)
            while remaining > 0:
                piece = chunk[: min(remaining, len(chunk))]
                self.wfile.write(piece)
                remaining -= len(piece)

        def _send_empty(self, status: int, extra: dict[str, str]) -> None:
            self._respond(status, extra, b"")

        def _respond(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in {**headers, **self._cors_headers()}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then close the socket and return."""
    server = ThreadingHTTPServer((settings.host, settings.port), make_handler(settings))

    def stop(_signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever() to return, so it must not run on this (the serving) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    print(
        f"config: DATABASE_URL {'set' if settings.database_configured else 'unset'}, "
        f"API_TOKEN {'set' if settings.api_token_configured else 'unset'}, "
        f"CORS {'on' if settings.cors_enabled else 'off'}",
        flush=True,
    )
    print(f"listening on {host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    print("shut down", flush=True)


def main() -> int:
    """Entry point: honour the failure switches, then serve."""
    env = dict(os.environ)
    if env.get("DEMO_CRASH_ON_START") == "1":
        print("FATAL: DATABASE_URL is not set", file=sys.stderr, flush=True)
        return 1
    serve(Settings.from_env(env))
    return 0


if __name__ == "__main__":
    sys.exit(main())
