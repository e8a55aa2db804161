"""Watch streams: `GET <collection>?watch=true` as one JSON event per line, chunked.

Query: `resourceVersion` (empty/`0` replays current objects as ADDED first), `timeoutSeconds`
(default: a random 30–60 minute cap like the real server), `allowWatchBookmarks` (BOOKMARK
events every `bookmark_interval` seconds while idle and one just before the timeout ends),
`sendInitialEvents=true` (replay, then a BOOKMARK annotated `k8s.io/initial-events-end`),
label and field selectors. A resourceVersion older than the store's history gives an `ERROR`
event holding the 410 `Expired` Status, then the stream ends; a watch closed by the store
(`drop_all_watches`) ends the stream. Each stored object is encoded once (`EncodeCache`) and
queued events are written in batches.
"""

from __future__ import annotations

import asyncio
import random

from aiohttp import web

from devstack_sim import errors, tables
from devstack_sim.context import CONTEXT, Target, flag
from devstack_sim.store import Change, Match, Watch
from devstack_sim.wire import JSON, check_accept, dumps

_BATCH = 512
_INITIAL_END = "k8s.io/initial-events-end"


def _since(request: web.Request) -> int | None:
    raw = request.query.get("resourceVersion", "")
    if raw in ("", "0"):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.ApiError(
            400, "BadRequest", f'resourceVersion: Invalid value: "{raw}": must be a non-negative integer'
        ) from None
    if value < 0:
        raise errors.bad_request(f'resourceVersion: Invalid value: "{raw}"')
    return value


def _timeout(request: web.Request) -> float:
    raw = request.query.get("timeoutSeconds")
    if raw is None:
        return random.uniform(1800, 3600)
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise errors.bad_request(f'timeoutSeconds: Invalid value: "{raw}"') from None


def _bookmark(target: Target, rv: int, initial_end: bool = False) -> bytes:
    meta: dict[str, object] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {_INITIAL_END: "true"}
    obj = {"kind": target.rtype.kind, "apiVersion": target.rtype.group_version, "metadata": meta}
    return b'{"type":"BOOKMARK","object":' + dumps(obj) + b"}\n"


async def serve(request: web.Request, target: Target, match: Match | None) -> web.StreamResponse:
    """Stream watch events for a collection until timeout, store close, or client disconnect."""
    ctx = request.app[CONTEXT]
    check_accept(request)
    since = _since(request)
    timeout = _timeout(request)
    bookmarks = flag(request, "allowWatchBookmarks")
    send_initial = flag(request, "sendInitialEvents")
    if send_initial:
        since = None
    response = web.StreamResponse(headers={"Content-Type": JSON, "Cache-Control": "no-cache, private"})
    try:
        watch = ctx.store.watch(target.rtype, target.namespace, match, since)
    except errors.ApiError as error:
        if error.code != 410:
            raise
        await response.prepare(request)
        await response.write(b'{"type":"ERROR","object":' + dumps(error.status()) + b"}\n")
        await response.write_eof()
        return response
    initial_left = watch.queue.qsize() if send_initial else -1
    initial_rv = ctx.store.resource_version
    ctx.streams.add(watch)
    try:
        await response.prepare(request)
        if initial_left == 0:
            await response.write(_bookmark(target, initial_rv, initial_end=True))
        await _pump(request, response, target, watch, timeout, bookmarks, initial_left, initial_rv)
        await response.write_eof()
    except ConnectionError:
        return response  # the client went away
    finally:
        ctx.store.stop_watch(watch)
        ctx.streams.discard(watch)
    return response


async def _pump(
    request: web.Request,
    response: web.StreamResponse,
    target: Target,
    watch: Watch,
    timeout: float,
    bookmarks: bool,
    initial_left: int,
    initial_rv: int,
) -> None:
    ctx = request.app[CONTEXT]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    interval = max(0.01, ctx.bookmark_interval)
    next_bookmark = loop.time() + interval
    queue = watch.queue
    table_version = tables.requested_version(request)
    include = request.query.get("includeObject", "Metadata")
    first = True
    while True:
        now = loop.time()
        if now >= deadline:
            if bookmarks:
                await response.write(_bookmark(target, ctx.store.resource_version))
            return
        wake = min(deadline, next_bookmark) if bookmarks else deadline
        change: Change | None
        if queue.empty():
            try:
                async with asyncio.timeout(max(0.0, wake - now)):
                    change = await queue.get()
            except TimeoutError:
                if bookmarks and loop.time() >= next_bookmark and queue.empty():
                    await response.write(_bookmark(target, ctx.store.resource_version))
                    next_bookmark = loop.time() + interval
                continue
        else:
            change = queue.get_nowait()
        chunks: list[bytes] = []
        while change is not None:
            if table_version is None:
                encoded = ctx.cache.encode(change.obj)
            else:
                shown = tables.table(
                    target.rtype, [change.obj], change.rv, table_version, include, headers=first
                )
                encoded, first = dumps(shown), False
            chunks.append(b'{"type":"' + change.type.encode() + b'","object":' + encoded + b"}\n")
            if initial_left > 0:
                initial_left -= 1
                if initial_left == 0:
                    chunks.append(_bookmark(target, initial_rv, initial_end=True))
            if len(chunks) >= _BATCH or queue.empty():
                break
            change = queue.get_nowait()
        if chunks:
            await response.write(b"".join(chunks))
        if change is None:
            return
