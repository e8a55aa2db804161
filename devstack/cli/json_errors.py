"""`--json` commands print one JSON document on every exit path, failures included."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from devstack.errors import DevstackError


def error_document(err: DevstackError) -> dict[str, Any]:
    """`{"ok": false, "error", "problems", "exit_code"}` for a failure that stopped the command."""
    problems = getattr(err, "problems", None) or [err.message]
    return {"ok": False, "error": err.message, "problems": list(problems), "exit_code": err.exit_code}


@contextmanager
def json_on_error(as_json: bool) -> Iterator[None]:
    """With ``--json``, print `error_document` on stdout before a DevstackError propagates.

    The error still reaches `devstack.cli.main`, which prints it on stderr and exits with its code.
    """
    try:
        yield
    except DevstackError as err:
        if as_json:
            click.echo(json.dumps(error_document(err), indent=2))
        raise
