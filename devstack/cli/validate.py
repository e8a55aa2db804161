"""`devstack validate`: profiles, skaffold.yaml, chart values and rendered manifests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from devstack.cli.common import load_profile
from devstack.cli.json_errors import json_on_error
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import OK, UNHEALTHY, USAGE


def run(options: Options, paths: tuple[str, ...], kube_version: str, as_json: bool) -> int:
    """Print one line per problem; exit 1 if any, 2 for a bad profile or no stack, 3 without helm.

    With ``--json`` one document is printed on every exit path: ``{"ok", "problems"}``, plus
    ``"error"`` and ``"exit_code"`` when validation could not run at all.
    """
    with json_on_error(as_json):
        problems, count = _validate(options, paths, kube_version)
    if as_json:
        click.echo(json.dumps({"ok": not problems, "problems": [str(p) for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{len(problems)} problem(s)" if problems else f"ok: {count} files validated")
    return UNHEALTHY if problems else OK


def _validate(options: Options, paths: tuple[str, ...], kube_version: str) -> tuple[list[object], int]:
    from devstack.profile import find_stack_root
    from devstack.profile.loader import display_path
    from devstack.validation import checked_files, validate_stack

    loaded = load_profile(options.profile)
    if find_stack_root(loaded.root) is None:
        raise DevstackError(
            f"no stack found for {display_path(loaded.path)}: no folder from "
            f"{display_path(loaded.path.parent)} upwards holds profiles/ and skaffold.yaml",
            fix="validate checks a whole stack: run it inside your stack's repository",
            exit_code=USAGE,
        )
    extra = [Path(p) for p in paths]
    return list(validate_stack(loaded.root, extra, kube_version)), len(checked_files(loaded.root, extra))
