"""`--json` text: msgspec's fast path writes what `json.dumps(indent=2)` wrote."""

from __future__ import annotations

import enum
import json

from devstack.views.jsonview import dumps


class _Level(enum.StrEnum):
    OK = "ok"


def test_dumps_writes_the_text_json_dumps_wrote() -> None:
    documents = [
        {},
        {"ok": True, "pods": [], "checks": {}, "nested": [{"a": [{}], "b": None}], "n": 10**20},
        {"seconds": 1.25, "whole": 1.0, "tuple": (1, 2), "level": _Level.OK, "int_key": {3: "x"}},
        {"text": 'quote " backslash \\ tab \t newline \n control \x01'},
        {"name": "café ✓", "items": ["ü"]},  # non-ASCII: json.dumps escapes it
    ]
    for document in documents:
        assert dumps(document) == json.dumps(document, indent=2)


def test_dumps_output_is_ascii_for_any_text() -> None:
    text = dumps({"name": "pod-é", "message": "✗ \u2028"})
    assert text.isascii()
    assert json.loads(text) == {"name": "pod-é", "message": "✗ \u2028"}


def test_floats_in_exponent_form_read_back_the_same() -> None:
    document = {"tiny": 1e-7, "huge": 1e20}
    assert json.loads(dumps(document)) == document
