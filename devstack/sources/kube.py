"""Live cluster state: list + watch through the official `kubernetes` client, in worker threads.

Every watch passes `timeout_seconds`, resumes from the last resourceVersion it saw (bookmarks
included), lists again on 410 Gone/Expired — whether the server says so with an `ERROR` event in
the stream or with the HTTP status of the watch request itself — and backs off on other errors
while reporting "API unreachable since …". Credentials (and their renewal) come from
`sources/credentials.py`. Lists and watch lines are fetched as bytes (`sources/kubeget.py`) and
decoded straight into summaries (`core/kubedecode.py`: typed, only the fields devstack uses;
faster than `json.loads` alone, and ~10x faster than the client's models), and changes from
every watch are coalesced into `KubeBatch` events a few times per second. A heartbeat
(`sources/heartbeat.py`) reports a hung API server (one that accepts connections but never answers)
as unreachable within seconds; every call has connect/read timeouts, and a timed-out call is retried
at most once (the client's default is three retries, which turns a 5 s timeout into 20 s).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from devstack.core import events as ev
from devstack.core.kube import WATCHED_KINDS
from devstack.core.kubedecode import CODECS
from devstack.core.resources import BROWSE_SUMMARISERS
from devstack.errors import DevstackError
from devstack.exitcodes import USAGE
from devstack.sources.backoff import Backoff
from devstack.sources.coalescer import Coalescer, Emit
from devstack.sources.credentials import KubeTarget, credentials_for
from devstack.sources.heartbeat import Heartbeat
from devstack.sources.kubeget import collection_path, get, object_path

CALL_TIMEOUT = (5, 30)  # seconds: connect (TCP + TLS handshake), read of a one-shot call

WATCH_TIMEOUT_SECONDS = 240


class Expired(Exception):
    """The server no longer has the resourceVersion we asked for (HTTP 410)."""


__all__ = ["BrowseWatch", "ClusterWatch", "Coalescer", "KindWatcher", "KubeTarget", "new_api_client"]


def new_api_client(target: KubeTarget) -> Any:
    """An ApiClient for exactly `target.context`, on the target's shared `Credentials` (its private
    kubeconfig written and checked first: `target.prepare`).

    Raises:
        DevstackError: the kubeconfig cannot be used for the context (exit 2, naming the file).
    """
    from kubernetes.config.config_exception import ConfigException

    if target.prepare is not None:
        target.prepare()
    try:
        return credentials_for(target).api_client()
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as err:
        shown = target.origin or target.kubeconfig or "the kubeconfig"
        detail = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        raise DevstackError(
            f"kubeconfig {shown}: context {target.context} cannot be used: {detail}",
            fix=f"`kubectl config view --minify --context {target.context}` shows the entries",
            exit_code=USAGE,
        ) from None


_QUERY_NAMES = {
    "watch": "watch",
    "resource_version": "resourceVersion",
    "timeout_seconds": "timeoutSeconds",
    "allow_watch_bookmarks": "allowWatchBookmarks",
    "field_selector": "fieldSelector",
    "label_selector": "labelSelector",
    "limit": "limit",
}
"""The client's list arguments (snake_case) → the API's query parameters."""


def list_call(api_client: Any, kind: str, namespace: str) -> Callable[..., Any]:
    """GET of a kind's collection in `namespace` (every namespace for a cluster-scoped kind):
    `call(watch=..., resource_version=..., timeout_seconds=..., allow_watch_bookmarks=...,
    field_selector=..., label_selector=..., _request_timeout=...)` → the streaming response."""
    path = collection_path(kind, namespace)

    def call(_request_timeout: Any = None, **params: Any) -> Any:
        query = {_QUERY_NAMES[k]: _query_value(v) for k, v in params.items() if v is not None}
        return get(api_client, path, query, _request_timeout)

    return call


def _query_value(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def read_call(api_client: Any, kind: str, namespace: str, name: str) -> Any:
    """The raw response of a GET of one object (`ApiException` with `.status` 404 when absent)."""
    return get(api_client, object_path(kind, namespace, name), timeout=CALL_TIMEOUT)


def iter_lines(response: Any) -> Iterator[bytes]:
    """Complete lines of a streamed HTTP response body."""
    pending: list[bytes] = []  # the start of a line that has not ended yet, in pieces
    for chunk in response.stream(amt=None, decode_content=False):
        if b"\n" not in chunk:
            pending.append(chunk)
            continue
        text = chunk
        if pending:
            pending.append(chunk)
            text = b"".join(pending)
            pending = []
        lines = text.split(b"\n")
        tail = lines.pop()
        if tail:
            pending.append(tail)
        for line in lines:
            if line.strip():
                yield line
    rest = b"".join(pending)
    if rest.strip():
        yield rest


class KindWatcher:
    """List + watch one kind in one namespace, forever, until stopped."""

    def __init__(
        self,
        api_client: Any,
        kind: str,
        namespace: str,
        sink: Callable[[ev.Event], None],
        stop: threading.Event,
        timeout_seconds: int = WATCH_TIMEOUT_SECONDS,
        scope: str = "",
        query: dict[str, str] | None = None,
    ):
        self.kind = kind
        self.scope = scope
        call = list_call(api_client, kind, namespace)
        extra = dict(query or {})
        self._call = lambda **kwargs: call(**extra, **kwargs)
        self._codec = CODECS.get(kind)  # the kinds devstack watches: typed, straight into summaries
        self._summarise = BROWSE_SUMMARISERS[kind]  # the others (browsing): json dicts, summarised
        self._sink = sink
        self._stop = stop
        self._timeout = timeout_seconds
        self.resource_version: str | None = None
        self.relists = 0
        self._response: Any = None
        self._unreachable = False
        self._aborted = False

    def run(self) -> None:
        """Thread body: list, watch, resume, re-list on 410, back off on errors."""
        backoff = Backoff(initial=0.25, cap=8.0)
        while not self._stop.is_set():
            try:
                if self.resource_version is None:
                    self._list()
                    self._unreachable = False
                    self._sink(ev.ApiStatus(True, at=time.time()))
                self._watch()
                backoff.reset()
            except Expired:
                self.resource_version = None
                self.relists += 1
            except Exception as err:  # noqa: BLE001 - any transport/API failure: report, back off, retry
                if self._stop.is_set():
                    return
                self._unreachable = True
                if not self._aborted:  # the heartbeat that aborted it has said why
                    self._sink(ev.ApiStatus(False, at=time.time(), error=describe_error(err)))
                self._aborted = False
                self._stop.wait(backoff.next())

    def _list(self) -> None:
        response = self._call(_request_timeout=CALL_TIMEOUT)
        try:
            body = response.data
        finally:
            response.release_conn()
        if self._codec is not None:
            items, self.resource_version = self._codec.decode_list(body)
        else:
            document = json.loads(body)
            items = tuple(self._summarise(item) for item in document.get("items") or [])
            self.resource_version = str(document.get("metadata", {}).get("resourceVersion") or "")
        self._sink(ev.KubeSynced(self.kind, items, self.resource_version, scope=self.scope))

    def _watch(self) -> None:
        try:
            response = self._call(
                watch=True,
                resource_version=self.resource_version,
                timeout_seconds=self._timeout,
                allow_watch_bookmarks=True,
                _request_timeout=(5, self._timeout + 15),
            )
        except Exception as err:
            if getattr(err, "status", None) == 410:  # the request itself answered 410 Gone/Expired
                raise Expired(expired_message(err)) from None
            raise
        self._aborted = False
        self._response = response
        if self._unreachable:
            self._unreachable = False
            self._sink(ev.ApiStatus(True, at=time.time()))
        try:
            for line in iter_lines(response):
                if self._stop.is_set():
                    return
                self._handle(line)
        finally:
            self._response = None
            response.close()
            response.release_conn()

    def abort(self) -> None:
        """Unblock a watch waiting for its next line (called from another thread: on stop, or by
        the heartbeat when the server stopped answering)."""
        response = self._response
        if response is not None:
            self._aborted = True
            with contextlib.suppress(Exception):
                response.shutdown() if hasattr(response, "shutdown") else response.close()

    def _handle(self, line: bytes) -> None:
        if self._codec is None:
            self._handle_dict(json.loads(line))
            return
        event = self._codec.decode_line(line)
        if event.type == "ERROR":
            if event.code == 410:
                raise Expired(event.message or "410 Gone")
            raise RuntimeError(f"watch error: {event.message or event.code}")
        if event.resource_version:
            self.resource_version = event.resource_version
        if event.item is not None:
            self._sink(ev.KubeChanged(self.kind, event.type, event.item, scope=self.scope))

    def _handle_dict(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Expired(obj.get("message", "410 Gone"))
            raise RuntimeError(f"watch error: {obj.get('message', obj)}")
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if version:
            self.resource_version = str(version)
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self._sink(ev.KubeChanged(self.kind, kind, self._summarise(obj), scope=self.scope))


def expired_message(err: BaseException) -> str:
    """The `message` of a 410 Status answer (`too old resource version: 5 (12)`)."""
    try:
        body = json.loads(getattr(err, "body", None) or "{}")
    except ValueError:
        body = {}
    return str(body.get("message") or "410 Gone") if isinstance(body, dict) else "410 Gone"


def describe_error(err: BaseException) -> str:
    status = getattr(err, "status", None)
    if status == 410:
        return "410 Gone"
    text = str(getattr(err, "reason", "") or err).strip().splitlines()
    detail = text[0] if text else type(err).__name__
    return f"{type(err).__name__}: {detail}"[:300]


class ClusterWatch:
    """Every watch devstack needs for one namespace, feeding the store through a coalescer."""

    def __init__(
        self, target: KubeTarget, emit: Emit, kinds: tuple[str, ...] = WATCHED_KINDS, interval: float = 0.02
    ):
        self.target = target
        self._coalescer = Coalescer(emit, interval)
        self._stop = threading.Event()
        self._kinds = kinds
        self._threads: list[threading.Thread] = []
        self.watchers: list[KindWatcher] = []
        self.heartbeat: Heartbeat | None = None

    def start(self, api_client: Any | None = None) -> None:
        """Start one worker thread per kind (building the API client in the caller's thread)."""
        client = api_client if api_client is not None else new_api_client(self.target)
        self._coalescer.start()
        for kind in self._kinds:
            watcher = KindWatcher(client, kind, self.target.namespace, self._coalescer.put, self._stop)
            self.watchers.append(watcher)
            thread = threading.Thread(target=watcher.run, name=f"watch-{kind}", daemon=True)
            self._threads.append(thread)
            thread.start()
        self.heartbeat = Heartbeat(client, self._coalescer.put, self._stop, self._abort_all, describe_error)
        self.heartbeat.start()

    def _abort_all(self) -> None:
        for watcher in self.watchers:
            watcher.abort()

    def stop(self) -> None:
        """Stop every watch (threads end at their next line or timeout; they are daemons)."""
        self._stop.set()
        self._abort_all()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.heartbeat is not None:
            self.heartbeat.join(timeout=5)
        self._coalescer.stop()


class BrowseWatch:
    """The kind browser's watch: one kind in one namespace, its events scoped `kind@namespace`."""

    def __init__(self, api_client: Any, kind: str, namespace: str, emit: Emit, interval: float = 0.05):
        self.scope = f"{kind}@{namespace}"
        self._coalescer = Coalescer(emit, interval)
        self._stop = threading.Event()
        self._watcher = KindWatcher(
            api_client, kind, namespace, self._coalescer.put, self._stop, scope=self.scope
        )
        self._thread = threading.Thread(target=self._watcher.run, name=f"browse-{kind}", daemon=True)

    def start(self) -> None:
        """List, then watch, in a worker thread."""
        self._coalescer.start()
        self._thread.start()

    def stop(self) -> None:
        """End the watch (its thread ends at the next line or at once when aborted)."""
        self._stop.set()
        self._watcher.abort()
        self._thread.join(timeout=5)
        self._coalescer.stop()
