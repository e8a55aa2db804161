"""jetscale demo frontend: serves a static page plus its runtime config, standard library only.

Routes:
    GET /                 static/index.html
    GET /assets/<file>    files under static/assets/
    GET /config.js        window.__JETSCALE_CONFIG__ = {"VITE_API_BASE_URL": "..."};
    GET /env.json         {"VITE_API_BASE_URL": "..."}
    GET /healthz          200 {"status": "ok"}

A Vite app bakes VITE_API_BASE_URL into its bundle at build time; this demo keeps such a baked default
in static/assets/app.js (BUILD_TIME_API_BASE_URL) and lets /config.js override it at run time, which is
what a container needs when one image runs in several environments.

Environment:
    PORT               port to listen on (default 3000)
    HOST               address to bind (default 127.0.0.1; the container image sets 0.0.0.0)
    VITE_API_BASE_URL  the backend's base URL as the browser sees it (default http://localhost:8000)

Every request is logged to stdout as one line; SIGTERM stops the server cleanly (exit 0).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

STATIC_DIR = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
}


def static_routes(static_dir: Path) -> dict[str, Path]:
    """Map each URL path that may be served from disk to its file; request paths are never joined."""
    routes = {"/": static_dir / "index.html"}
    for file in sorted(static_dir.rglob("*")):
        if file.is_file():
            routes["/" + file.relative_to(static_dir).as_posix()] = file
    return routes


def runtime_config(api_base_url: str) -> tuple[bytes, bytes]:
    """Return the bodies of /config.js and /env.json for ``api_base_url``."""
    config = json.dumps({"VITE_API_BASE_URL": api_base_url})
    return f"window.__JETSCALE_CONFIG__ = {config};\n".encode(), config.encode()


def make_handler(api_base_url: str, static_dir: Path = STATIC_DIR) -> type[BaseHTTPRequestHandler]:
    """Return a request handler class serving ``static_dir`` and the runtime config."""
    config_js, env_json = runtime_config(api_base_url)
    generated = {
        "/config.js": (CONTENT_TYPES[".js"], config_js),
        "/env.json": (CONTENT_TYPES[".json"], env_json),
        "/healthz": (CONTENT_TYPES[".json"], b'{"status": "ok"}'),
    }
    routes = static_routes(static_dir)

    class Handler(BaseHTTPRequestHandler):
        server_version = "jetscale-frontend/0.1"
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without TCP_NODELAY, keep-alive clients
        # wait ~40 ms per response for the delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            print(f"{self.address_string()} - {format % args}", flush=True)

        def do_GET(self) -> None:
            path = urlsplit(self.path).path
            if path in generated:
                content_type, body = generated[path]
                self._respond(200, content_type, body, cache="no-store")
            elif path in routes:
                file = routes[path]
                content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
                self._respond(200, content_type, file.read_bytes())
            else:
                self._respond(404, "text/plain; charset=utf-8", b"not found\n")

        def _respond(self, status: int, content_type: str, body: bytes, cache: str = "no-cache") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", cache)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(host: str, port: int, api_base_url: str) -> None:
    """Serve until SIGTERM or SIGINT, then close the socket and return."""
    server = ThreadingHTTPServer((host, port), make_handler(api_base_url))

    def stop(_signum: int, _frame: object) -> None:
        # shutdown() waits for serve_forever() to return, so it must not run on this (the serving) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    bound_host, bound_port = server.server_address[:2]
    print(f"config: VITE_API_BASE_URL={api_base_url}", flush=True)
    print(f"listening on {bound_host}:{bound_port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    print("shut down", flush=True)


def main() -> int:
    """Entry point: read the environment and serve."""
    serve(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "3000")),
        api_base_url=os.environ.get("VITE_API_BASE_URL", "http://localhost:8000"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
