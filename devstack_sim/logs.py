"""Pod logs: `GET /api/v1/namespaces/NS/pods/NAME/log`, streamed as `text/plain`.

Delegates to `PodRuntime.logs(LogRequest)`. Query: `container`, `follow`, `tailLines`,
`timestamps`, `previous`, `limitBytes`, `sinceSeconds`/`sinceTime` (the last two are applied here:
the runtime is asked for timestamps and lines older than the cut-off are dropped). Errors raised
before the first chunk (unknown container, no previous instance...) become Status responses.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator

from aiohttp import web

from devstack_sim import errors
from devstack_sim.context import CONTEXT, Target, flag
from devstack_sim.resources import PODS
from devstack_sim.runtime import LogRequest


def _int(request: web.Request, name: str, minimum: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(f'{name}: Invalid value: "{raw}": must be an integer') from None
    if value < minimum:
        raise errors.ApiError(
            422,
            "Invalid",
            f'PodLogOptions "" is invalid: {name}: Invalid value: {value}: must be >= {minimum}',
        )
    return value


def _since(request: web.Request) -> datetime.datetime | None:
    seconds = _int(request, "sinceSeconds", 1)
    raw_time = request.query.get("sinceTime")
    if seconds is not None and raw_time:
        raise errors.bad_request("at most one of `sinceTime` or `sinceSeconds` may be specified")
    if seconds is not None:
        return datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)
    if raw_time:
        try:
            return datetime.datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
        except ValueError:
            raise errors.bad_request(f'sinceTime: Invalid value: "{raw_time}"') from None
    return None


def _stamp(line: bytes) -> datetime.datetime | None:
    head = line.split(b" ", 1)[0].decode(errors="replace")
    try:
        return datetime.datetime.fromisoformat(head.replace("Z", "+00:00"))
    except ValueError:
        return None


async def _filtered(
    source: AsyncIterator[bytes], since: datetime.datetime | None, keep_stamps: bool
) -> AsyncIterator[bytes]:
    """Drop lines older than `since` and strip timestamps the client did not ask for."""
    pending = b""
    async for chunk in source:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        out = []
        for line in lines:
            stamp = _stamp(line)
            if since is not None and stamp is not None and stamp < since:
                continue
            out.append((line if keep_stamps or stamp is None else line.split(b" ", 1)[-1]) + b"\n")
        if out:
            yield b"".join(out)
    if pending:
        yield pending


async def serve(request: web.Request, target: Target) -> web.StreamResponse:
    """Stream a container's log through the attached runtime."""
    ctx = request.app[CONTEXT]
    assert target.name is not None and target.namespace is not None
    pod = ctx.store.require(PODS, target.namespace, target.name)
    since = _since(request)
    timestamps = flag(request, "timestamps")
    log_request = LogRequest(
        namespace=target.namespace,
        pod=target.name,
        container=request.query.get("container"),
        follow=flag(request, "follow"),
        tail_lines=_int(request, "tailLines", 0),
        timestamps=timestamps or since is not None,
        previous=flag(request, "previous"),
    )
    limit = _int(request, "limitBytes", 1)
    if ctx.runtime is None:
        raise errors.bad_request(
            f'pod "{target.name}" has no container runtime: the simulator was started without a pod '
            "runtime, so logs are not available"
        )
    if not pod.get("spec", {}).get("nodeName") and not pod.get("status", {}).get("containerStatuses"):
        raise errors.bad_request(f"pod {target.name} does not have a host assigned")
    source = ctx.runtime.logs(log_request)
    if since is not None:
        source = _filtered(source, since, timestamps)
    iterator = aiter(source)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        first = b""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    sent = 0
    chunk: bytes | None = first
    try:
        while chunk is not None:
            if limit is not None and sent + len(chunk) >= limit:
                await response.write(chunk[: limit - sent])
                break
            if chunk:
                await response.write(chunk)
                sent += len(chunk)
            chunk = await anext(iterator, None)
        await response.write_eof()
    except ConnectionError:
        return response
    finally:
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()
    return response
