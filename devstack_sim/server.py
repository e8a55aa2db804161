"""The simulated Kubernetes API server: HTTPS on 127.0.0.1, real HTTP and WebSocket API.

Serves `/version`, `/healthz|/livez|/readyz`, discovery (`/api`, `/api/v1`, `/apis`, `/apis/G`,
`/apis/G/V`), `/openapi/v3` (index + per group-version documents), every type in
`resources.ALL` (list, watch, get, create, update, patch in four flavours, delete,
deletecollection, `/status`, `/scale`; server-side `Table` output for kubectl, see `tables.py`),
pod `/log` and WebSocket `/portforward`, and
`POST /admin/faults` (see `faults.py`) and `POST /admin/tokens` (`{"user", "seconds"}`: a
short-lived token, see `auth.py`). Every request needs a client certificate signed by the cluster
CA or a bearer token the server knows (the static token file, or an issued token that has not
expired): without one the answer is 401 `Unauthorized` (a certificate from another CA fails the
TLS handshake). Errors are `Status` objects with the real codes and reasons.

kubectl requests the simulator cannot serve (each gets an explicit Status error, never a wrong
answer):

- port-forward over a plain SPDY upgrade (`Upgrade: SPDY/3.1`, kubectl's fallback when the
  WebSocket upgrade fails) — 400; served are `kubectl port-forward`'s SPDY-in-WebSocket tunnel
  (`SPDY/3.1+portforward.k8s.io`) and the `v4/v5.channel.k8s.io` protocol (official Python
  client, kr8s);
- `exec`, `attach`, `proxy`, `ephemeralcontainers`, `eviction`, `binding` subresources — 404
  (so `kubectl exec`, `cp`, `attach`, `debug`, `drain` fail with NotFound);
- `kubectl auth can-i` (authorization.k8s.io reviews) and `kubectl top` (metrics API) — 404;
- protobuf bodies of kinds other than those `protobuf.py` decodes (Namespace, ConfigMap, Secret,
  ServiceAccount, Service, Deployment, Pod, DeleteOptions — what `kubectl create ...` and Helm's
  release storage send), or with fields its table lacks — 415; CBOR bodies — 415; protobuf-only or
  CBOR-only `Accept` — 406 (answers are always JSON, which every client also accepts);
- list pagination: `limit` is ignored (one page), a `continue` token gets 400;
- `/openapi/v2` — 404 (kubectl uses v3); legacy `/api/v1/watch/...` paths — 404;
- resources outside `resources.ALL` (RBAC, CRDs, jobs, statefulsets...) — 404, so
  `kubectl apply` of such manifests fails with `no matches for kind`;
- server-side apply keeps no managedFields and never removes fields a manager stopped sending.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from devstack_sim import certs as certs_mod
from devstack_sim import discovery, errors, openapi, routes
from devstack_sim.auth import TokenAuthority
from devstack_sim.certs import ClusterCerts
from devstack_sim.context import CONTEXT, ServerContext
from devstack_sim.faults import Faults
from devstack_sim.runtime import PodRuntime
from devstack_sim.store import Store
from devstack_sim.wire import (
    dumps,
    json_response,
    method_not_allowed,
    not_found_path,
    raw_json,
    status_response,
)

log = logging.getLogger(__name__)

FAULTS = web.AppKey("devstack_sim_faults", Faults)
TOKENS = web.AppKey("devstack_sim_tokens", TokenAuthority)
_UNAUTHORIZED = errors.ApiError(401, "Unauthorized", "Unauthorized")


@web.middleware
async def _errors_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except errors.ApiError as error:
        return status_response(error)
    except web.HTTPNotFound:
        return status_response(not_found_path())
    except web.HTTPMethodNotAllowed:
        return status_response(method_not_allowed())
    except web.HTTPException as exc:
        return status_response(errors.ApiError(exc.status, exc.reason, exc.text or exc.reason))
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as exc:
        log.exception("simulated API server: %s %s failed", request.method, request.path)
        return status_response(errors.ApiError(500, "InternalError", f"Internal error occurred: {exc}"))


@web.middleware
async def _auth_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    transport = request.transport
    peer = transport.get_extra_info("peercert") if transport is not None else None
    if not peer:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or request.app[TOKENS].authenticate(token.strip()) is None:
            return status_response(_UNAUTHORIZED)
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def _faults_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/admin/"):
        failure = await request.app[FAULTS].before_request(request.path, request.query)
        if failure is not None:
            return status_response(failure)
    response: web.StreamResponse = await handler(request)
    return response


async def _version(_: web.Request) -> web.Response:
    return json_response(discovery.version())


async def _health(_: web.Request) -> web.Response:
    return web.Response(text="ok", content_type="text/plain")


async def _api_root(request: web.Request) -> web.StreamResponse:
    path = request.path.rstrip("/")
    if request.method == "GET":
        if path == "/api":
            return json_response(discovery.api_versions())
        if path == "/apis":
            return json_response(discovery.api_group_list())
        parts = path.split("/")[1:]
        if parts[0] == "api" and len(parts) == 2:
            found = discovery.resource_list("", parts[1])
            if found is None:
                raise not_found_path()
            return json_response(found)
        if parts[0] == "apis" and len(parts) == 2:
            group = discovery.api_group(parts[1])
            if group is None:
                raise not_found_path()
            return json_response(group)
        if parts[0] == "apis" and len(parts) == 3:
            found = discovery.resource_list(parts[1], parts[2])
            if found is None:
                raise not_found_path()
            return json_response(found)
    return await routes.handle(request)


async def _openapi_index(_: web.Request) -> web.Response:
    return json_response(openapi.index())


async def _openapi_doc(request: web.Request) -> web.Response:
    built = openapi.document(request.match_info["tail"].strip("/"))
    if built is None:
        raise not_found_path()
    response = raw_json(built[0])
    response.headers["Cache-Control"] = (
        "public, immutable" if request.query.get("hash") == built[1] else "no-cache"
    )
    response.headers["Etag"] = f'"{built[1]}"'
    return response


async def _admin_faults(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise errors.bad_request("the admin request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise errors.bad_request("the admin request body must be a JSON object")
    result = await request.app[FAULTS].dispatch(body)
    try:
        dumps(result)
    except (TypeError, ValueError):
        result = repr(result)
    return json_response({"fault": body.get("fault"), "result": result})


async def _admin_tokens(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        raise errors.bad_request("the admin request body must be a JSON object") from None
    if not isinstance(body, dict) or not isinstance(body.get("seconds", 600), int | float):
        raise errors.bad_request('expected {"user": NAME, "seconds": LIFETIME}')
    try:
        issued = request.app[TOKENS].issue(
            str(body.get("user") or "devstack-exec-user"), body.get("seconds", 600)
        )
    except ValueError as err:
        raise errors.bad_request(str(err)) from None
    return json_response(issued)


def build_app(
    context: ServerContext, faults: Faults, tokens: TokenAuthority | None = None
) -> web.Application:
    """The aiohttp application of one simulated API server."""
    app = web.Application(
        middlewares=[_errors_middleware, _auth_middleware, _faults_middleware], client_max_size=64 * 1024**2
    )
    app[CONTEXT] = context
    app[FAULTS] = faults
    app[TOKENS] = tokens if tokens is not None else TokenAuthority()
    app.router.add_get("/version", _version)
    app.router.add_get("/version/", _version)  # the official client (v37) asks with the slash
    for path in ("/healthz", "/livez", "/readyz"):
        app.router.add_get(path, _health)
    app.router.add_get("/openapi/v3", _openapi_index)
    app.router.add_get("/openapi/v3/{tail:.+}", _openapi_doc)
    app.router.add_post("/admin/faults", _admin_faults)
    app.router.add_post("/admin/tokens", _admin_tokens)
    for path in ("/api", "/apis", "/api/{tail:.*}", "/apis/{tail:.*}"):
        app.router.add_route("*", path, _api_root)
    return app


class ApiServer:
    """One simulated API server bound to 127.0.0.1 (HTTPS, client-cert auth).

    Args:
        store: The object store it serves.
        certs: The cluster's certificates.
        cert_dir: Directory holding the PEM files (`certs.write`).
        runtime: The node side for logs and port-forward, or None.
        host: Address to bind (127.0.0.1).
        port: Port to bind; 0 picks a free one on the first start, then it is kept.
        bookmark_interval: Seconds between BOOKMARK events of idle watches.
        tokens: The bearer tokens it accepts (None: only issued ones).
    """

    def __init__(
        self,
        store: Store,
        certs: ClusterCerts,
        cert_dir: Path,
        runtime: PodRuntime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        bookmark_interval: float = 5.0,
        tokens: TokenAuthority | None = None,
    ):
        self.context = ServerContext(store=store, runtime=runtime, bookmark_interval=bookmark_interval)
        self.tokens = tokens if tokens is not None else TokenAuthority()
        self.faults = Faults(store, lambda: self.context.runtime, self.tokens)
        self._ssl = certs_mod.server_ssl_context(certs, cert_dir)
        self._host = host
        self._port = port
        self._app = build_app(self.context, self.faults, self.tokens)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def port(self) -> int:
        """The bound port (the requested one before the first start)."""
        return self._port

    @property
    def url(self) -> str:
        """`https://127.0.0.1:<port>`."""
        return f"https://{self._host}:{self._port}"

    @property
    def listening(self) -> bool:
        """Whether the server currently accepts connections."""
        return self._site is not None

    @property
    def runtime(self) -> PodRuntime | None:
        """The attached node side."""
        return self.context.runtime

    @runtime.setter
    def runtime(self, runtime: PodRuntime | None) -> None:
        self.context.runtime = runtime

    async def start(self) -> None:
        """Set up the application and start listening."""
        if self._runner is None:
            self._runner = web.AppRunner(self._app, handler_cancellation=True, access_log=None)
            await self._runner.setup()
        await self.start_listening()

    async def start_listening(self) -> None:
        """Bind the port (the same one after a `stop_listening`) and accept connections again."""
        if self._runner is None:
            raise RuntimeError("ApiServer.start() was never called")
        if self._site is not None:
            return
        site = web.TCPSite(self._runner, self._host, self._port, ssl_context=self._ssl, reuse_address=True)
        await site.start()
        self._site = site
        self._port = site.port

    async def stop_listening(self) -> None:
        """Close the listening socket and abort every open connection, watch and stream."""
        site, self._site = self._site, None
        if site is not None:
            await site.stop()
        server = self._runner.server if self._runner is not None else None
        if server is None:
            return
        for handler in server.connections:
            transport = handler.transport
            if transport is not None:
                transport.abort()
        for _ in range(20):
            if not server.connections:
                break
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Stop listening, end every connection and release the application."""
        await self.stop_listening()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
