"""Fault injection for the simulated API server: a Python API and `POST /admin/faults`.

The admin endpoint is authenticated like every other path and never affected by faults itself.
Its body is one JSON object `{"fault": NAME, ...arguments}`; the answer is
`{"fault": NAME, "result": ...}` (400 Status for an unknown fault or bad arguments, 501 when the
runtime lacks the hook). Faults and their arguments:

- `drop_watches` — end every open watch stream (`Store.drop_all_watches`); result: how many.
- `expire_history` — forget the change history: older resourceVersions get 410 Expired.
- `http_error` — `status` (500), `count` (following requests) or `seconds` (duration), optional
  `path_prefix`, `message`: matching requests get that HTTP code with a Status body.
  Without `count` and `seconds` it lasts until `clear`.
- `stall` — `seconds` (delay per request), `count` / `duration` / `path_prefix` as above.
- `delete_pod` — `namespace`, `name`, `grace` (true): delete a pod through the store.
- `kill_process` — `namespace`, `pod`, `container`, `exit_code`: the runtime's `kill_process`.
- `inject_oom` — `namespace`, `pod`, `container`: the runtime's `inject_oom`.
- `watch_gone` — from now on, watch requests resuming from a resourceVersion up to the current
  one are answered with HTTP 410 `Expired` (`too old resource version: N (M)`) on the request
  itself, as the real server does when its watch cache no longer holds that version; a client
  that lists again gets a newer version and watches on. (The other form, an `ERROR` event inside
  the stream, comes from `expire_history`.) Result: the oldest resourceVersion still served.
- `expire_tokens` — revoke every issued bearer token now (their next use gets 401); result: how
  many were valid.
- `clear` — remove every pending `http_error`, `stall` and `watch_gone`.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from devstack_sim import errors
from devstack_sim.auth import TokenAuthority
from devstack_sim.resources import PODS
from devstack_sim.runtime import PodRuntime
from devstack_sim.store import Store

_REASONS = {500: "InternalError", 503: "ServiceUnavailable", 429: "TooManyRequests", 504: "Timeout"}


@dataclass
class _Rule:
    kind: str  # "error" | "stall"
    value: float  # HTTP status or delay seconds
    count: int | None
    until: float | None
    path_prefix: str | None
    message: str

    def applies(self, path: str, now: float) -> bool:
        if self.until is not None and now >= self.until:
            return False
        if self.count is not None and self.count <= 0:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def expired(self, now: float) -> bool:
        return (self.until is not None and now >= self.until) or (self.count is not None and self.count <= 0)


class Faults:
    """Faults of one simulated cluster; `before_request` is called by the server for each request."""

    def __init__(
        self, store: Store, runtime: Callable[[], PodRuntime | None], tokens: TokenAuthority | None = None
    ):
        self._store = store
        self._runtime = runtime
        self._tokens = tokens if tokens is not None else TokenAuthority()
        self._rules: list[_Rule] = []
        self._gone_below = 0

    # ------------------------------------------------------------------ python API
    def drop_watches(self) -> int:
        """End every open watch; returns how many there were."""
        return self._store.drop_all_watches()

    def expire_history(self) -> None:
        """Make every resourceVersion before now answer 410 Expired to watches."""
        self._store.expire_history()

    def http_error(
        self,
        status: int = 500,
        count: int | None = None,
        seconds: float | None = None,
        path_prefix: str | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `count` requests (or all for `seconds`) with `status` and a Status body."""
        if not 400 <= status < 600:
            raise errors.bad_request(f"http_error status must be 4xx or 5xx, not {status}")
        text = message or f"simulated fault: HTTP {status}"
        self._add(_Rule("error", status, count, seconds, path_prefix, text))

    def stall(
        self,
        seconds: float,
        count: int | None = None,
        duration: float | None = None,
        path_prefix: str | None = None,
    ) -> None:
        """Delay the next `count` requests (or all for `duration` seconds) by `seconds`."""
        if seconds < 0:
            raise errors.bad_request("stall seconds must be >= 0")
        self._add(_Rule("stall", seconds, count, duration, path_prefix, ""))

    def watch_gone(self) -> int:
        """Answer watches resuming from any resourceVersion up to now with HTTP 410 Expired.

        Returns:
            The oldest resourceVersion a watch may still resume from.
        """
        self._gone_below = self._store.resource_version + 1
        return self._gone_below

    def expire_tokens(self) -> int:
        """Revoke every issued bearer token; returns how many were still valid."""
        return self._tokens.expire_issued()

    def clear(self) -> None:
        """Remove every pending `http_error`, `stall` and `watch_gone`."""
        self._rules.clear()
        self._gone_below = 0

    def delete_pod(self, namespace: str, name: str, grace: bool = True) -> dict[str, Any]:
        """Delete a pod as if a user did (graceful unless `grace` is False)."""
        return self._store.delete(PODS, namespace, name, grace=grace)

    async def kill_process(
        self, namespace: str, pod: str, container: str | None = None, exit_code: int | None = None
    ) -> Any:
        """Ask the runtime to kill a container's process (501 when it cannot)."""
        return await self._call_runtime(
            "kill_process", namespace, pod, container=container, exit_code=exit_code
        )

    async def inject_oom(self, namespace: str, pod: str, container: str | None = None) -> Any:
        """Ask the runtime to OOM-kill a container (501 when it cannot)."""
        return await self._call_runtime("inject_oom", namespace, pod, container=container)

    # ------------------------------------------------------------------ server hooks
    async def before_request(
        self, path: str, query: Mapping[str, str] | None = None
    ) -> errors.ApiError | None:
        """Apply pending faults to one request: sleep for stalls, return an error to answer with."""
        now = time.monotonic()
        self._rules = [rule for rule in self._rules if not rule.expired(now)]
        delay = 0.0
        failure: errors.ApiError | None = None
        resumes = _resuming_watch(query or {})
        if resumes is not None and resumes < self._gone_below:
            failure = errors.expired(resumes, self._gone_below)
        for rule in list(self._rules):
            if not rule.applies(path, now):
                continue
            if rule.count is not None:
                rule.count -= 1
            if rule.kind == "stall":
                delay = max(delay, rule.value)
            elif failure is None:
                code = int(rule.value)
                failure = errors.ApiError(code, _REASONS.get(code, "InternalError"), rule.message)
        if delay:
            await asyncio.sleep(delay)
        return failure

    async def dispatch(self, body: dict[str, Any]) -> Any:
        """Run the fault an admin request names; returns its result.

        Raises:
            ApiError: 400 for unknown faults or arguments, 501 for missing runtime hooks.
        """
        args = dict(body)
        name = args.pop("fault", None)
        simple: dict[str, Callable[..., Any]] = {
            "drop_watches": self.drop_watches,
            "expire_history": self.expire_history,
            "http_error": self.http_error,
            "stall": self.stall,
            "delete_pod": self.delete_pod,
            "clear": self.clear,
            "watch_gone": self.watch_gone,
            "expire_tokens": self.expire_tokens,
            "kill_process": self.kill_process,
            "inject_oom": self.inject_oom,
        }
        handler = simple.get(str(name))
        if handler is None:
            raise errors.bad_request(f"unknown fault {name!r}; known: {', '.join(sorted(simple))}")
        try:
            inspect.signature(handler).bind(**args)
        except TypeError as exc:
            raise errors.bad_request(f"bad arguments for fault {name!r}: {exc}") from None
        result = handler(**args)
        if inspect.isawaitable(result):
            result = await result
        return result

    # ------------------------------------------------------------------ internals
    def _add(self, rule: _Rule) -> None:
        if rule.until is not None:
            rule.until = time.monotonic() + rule.until
        self._rules.append(rule)

    async def _call_runtime(self, method: str, *args: Any, **kwargs: Any) -> Any:
        runtime = self._runtime()
        hook = getattr(runtime, method, None) if runtime is not None else None
        if hook is None:
            raise errors.ApiError(
                501, "NotImplemented", f"the simulator's pod runtime does not implement {method}"
            )
        result = hook(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result


def _resuming_watch(query: Mapping[str, str]) -> int | None:
    """The resourceVersion a watch request resumes from (None: not a resuming watch)."""
    if query.get("watch") not in ("true", "1"):
        return None
    raw = query.get("resourceVersion", "")
    return int(raw) if raw.isdigit() and raw != "0" else None
