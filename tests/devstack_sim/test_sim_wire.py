"""The simulator's encodings: msgspec bytes equal to `json.dumps`, cached list items per version."""

from __future__ import annotations

import json
from typing import Any

from devstack_sim.wire import LIST_STRIP, EncodeCache, dumps


def _old_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _pod(name: str, rv: str, message: str = "") -> dict[str, Any]:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv, "labels": {"é": "ü ✓"}},
        "spec": {"containers": [{"name": "c", "image": "sim/noop", "ports": [{"containerPort": 80}]}]},
        "status": {"phase": "Running", "message": message, "ready": True, "ratio": 0.5, "none": None},
    }


def test_dumps_writes_the_same_bytes_as_compact_json_dumps() -> None:
    values = [_pod("a", "1", 'quote " back \\ tab \t nl \n ctl \x01 \u2028'), [], {}, 10**18, -1.25, "ü"]
    for value in values:
        assert dumps(value) == _old_dumps(value)


def test_list_items_are_cached_per_version_and_leave_out_kind_and_api_version() -> None:
    cache = EncodeCache(limit=1, strip=LIST_STRIP)
    head = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "3"}}
    first = [_pod("a", "1"), _pod("b", "2")]
    body = cache.encode_list(head, first)
    expected = {**head, "items": [{k: v for k, v in p.items() if k not in LIST_STRIP} for p in first]}
    assert body == _old_dumps(expected)
    assert cache.encode_list(head, first) == body
    assert cache.hits == 2  # the limit grew to hold the list: its items were not evicted
    changed = [_pod("a", "4", "changed"), first[1]]
    again = json.loads(cache.encode_list(head, changed))
    assert again["items"][0]["status"]["message"] == "changed"
    assert again["items"][0]["metadata"]["resourceVersion"] == "4"
    empty = json.loads(cache.encode_list(head, []))
    assert empty == {**head, "items": []}
