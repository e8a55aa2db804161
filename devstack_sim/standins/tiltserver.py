"""How clients reach a running tilt stand-in (TILT.md §5): its API server, its web server and the
`tilt-<port>` entry in `<TiltDevDir>/config`.

- The API server serves `tilt.dev/v1alpha1` `uiresources`, `sessions`, `tiltfiles` (args) and
  `configmaps` (`<name>-disable`) over HTTPS on a random 127.0.0.1 port, with a per-run bearer token
  (a fresh CA from `devstack_sim.certs`), as kube-style JSON (`List`s, `Status` errors).
- `up`/`ci` write a kubeconfig-format entry `tilt-default` (web port 10350) or `tilt-<port>` into
  `$TILT_CONFIG`, else `<TiltDevDir>/config`, and remove it on a clean shutdown.
- The web server on `--host:--port` answers `POST /api/trigger` and `GET /api/view`; since v0.37.4
  every `/api/*` route needs the `<TiltDevDir>/token` (header `X-Tilt-Token` or cookie `Tilt-Token`)
  unless `TILT_DISABLE_HUD_AUTH` is set.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from devstack_sim.standins.tiltconfig import PREFIX, web_token
from devstack_sim.standins.tiltstate import API_VERSION, EngineState


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A kube `Status` error body."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class Hooks:
    """What the servers ask the engine for."""

    def __init__(
        self,
        state: EngineState,
        trigger: Callable[[str], str],
        set_args: Callable[[list[str]], bool],
        current_args: Callable[[], list[str]],
        set_disabled: Callable[[str, bool], str],
    ) -> None:
        self.state = state
        self.trigger = trigger
        self.set_args = set_args
        self.current_args = current_args
        self.set_disabled = set_disabled


def _api_handler(hooks: Hooks, token: str) -> type[BaseHTTPRequestHandler]:
    class Api(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {token}":
                return True
            self._send(401, status(401, "Unauthorized", "Unauthorized"))
            return False

        def _route(self) -> tuple[str, str]:
            path = urlparse(self.path).path
            if not path.startswith(PREFIX):
                return "", ""
            plural, _, name = path[len(PREFIX) :].partition("/")
            return plural, unquote(name)

        def do_GET(self) -> None:
            if not self._authorized():
                return
            plural, name = self._route()
            if plural == "uiresources":
                items = hooks.state.ui_resources()
            elif plural == "sessions":
                items = [hooks.state.session()]
            elif plural == "tiltfiles":
                items = [_tiltfile_object(hooks.current_args())]
            else:
                self._send(404, status(404, "NotFound", "the server could not find the requested resource"))
                return
            if not name:
                kind = {"uiresources": "UIResource", "sessions": "Session", "tiltfiles": "Tiltfile"}[plural]
                self._send(
                    200, {"apiVersion": API_VERSION, "kind": f"{kind}List", "metadata": {}, "items": items}
                )
                return
            found = next((i for i in items if i["metadata"]["name"] == name), None)
            if found is None:
                self._send(404, status(404, "NotFound", f'{plural}.tilt.dev "{name}" not found'))
            else:
                self._send(200, found)

        def do_PUT(self) -> None:
            if not self._authorized():
                return
            plural, name = self._route()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, status(400, "BadRequest", "invalid JSON body"))
                return
            if plural == "tiltfiles" and name == "(Tiltfile)":
                hooks.set_args([str(a) for a in (body.get("spec") or {}).get("args") or []])
                self._send(200, _tiltfile_object(hooks.current_args()))
            elif plural == "configmaps" and name.endswith("-disable"):
                disabled = str((body.get("data") or {}).get("isDisabled")) == "true"
                error = hooks.set_disabled(name.removesuffix("-disable"), disabled)
                if error:
                    self._send(404, status(404, "NotFound", error))
                else:
                    self._send(200, body)
            else:
                self._send(405, status(405, "MethodNotAllowed", "the server does not allow this method"))

    return Api


def _tiltfile_object(args: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "Tiltfile",
        "metadata": {"name": "(Tiltfile)"},
        "spec": {"path": "Tiltfile", "args": list(args)},
        "status": {},
    }


def _web_handler(hooks: Hooks, token: str) -> type[BaseHTTPRequestHandler]:
    class Web(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, code: int, text: str, content_type: str = "text/plain") -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorized(self) -> bool:
            from devstack_sim.standins import tiltversion

            if os.environ.get("TILT_DISABLE_HUD_AUTH") or not tiltversion.at_least((0, 37, 4)):
                return True
            cookie = next(
                (
                    p.split("=", 1)[1]
                    for p in (self.headers.get("Cookie") or "").split("; ")
                    if p.startswith("Tilt-Token=")
                ),
                None,
            )
            given = self.headers.get("X-Tilt-Token") or cookie
            if given == token:
                return True
            self._send(403, "invalid session token" if given else "missing session token")
            return False

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            if path.startswith("/api/"):
                if not self._authorized():
                    return
                if path == "/api/view":
                    view = {"uiSession": hooks.state.session(), "uiResources": hooks.state.ui_resources()}
                    self._send(200, json.dumps(view), "application/json")
                    return
                self._send(404, "404 page not found")
                return
            self._send(200, "<html><body>Tilt (devstack simulator stand-in)</body></html>", "text/html")

        def do_POST(self) -> None:
            if urlparse(self.path).path != "/api/trigger":
                self._send(404, "404 page not found")
                return
            if not self._authorized():
                return
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                names = [str(n) for n in body.get("manifest_names") or []]
            except (ValueError, AttributeError):
                self._send(400, "error parsing JSON")
                return
            if len(names) != 1:
                self._send(
                    400, f"/api/trigger currently supports exactly one manifest name, got {len(names)}"
                )
                return
            error = hooks.trigger(names[0])
            if "does not exist" in error:
                self._send(404, error)
            else:
                self._send(200, error)

    return Web


class Servers:
    """The web server (already bound by the caller) and the API server, each on its own thread."""

    def __init__(self, web_socket: socket.socket, hooks: Hooks) -> None:
        from devstack_sim import certs

        self.token = secrets.token_urlsafe(48)
        self.web_token = web_token()
        pki = Path(tempfile.mkdtemp(prefix="tilt-standin-pki-"))
        self.certs = certs.generate("tilt", names=("127.0.0.1", "localhost"))
        certs.write(self.certs, pki)
        context = certs.server_ssl_context(self.certs, pki)
        for child in pki.iterdir():
            child.unlink()
        pki.rmdir()
        self.api = ThreadingHTTPServer(("127.0.0.1", 0), _api_handler(hooks, self.token))
        self.api.socket = context.wrap_socket(self.api.socket, server_side=True)
        self.web = ThreadingHTTPServer(
            web_socket.getsockname()[:2], _web_handler(hooks, self.web_token), bind_and_activate=False
        )
        self.web.socket.close()
        self.web.socket = web_socket
        self.web.server_activate()
        # Shutdown waits for requests in flight (Go's graceful Shutdown): a client that hangs keeps
        # Tilt from exiting, until the 2 s watchdog or a second signal ends it with exit 1.
        self.web.daemon_threads = False
        self.api_port = int(self.api.server_address[1])
        for server in (self.api, self.web):
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        for server in (self.api, self.web):
            server.shutdown()
            server.server_close()
