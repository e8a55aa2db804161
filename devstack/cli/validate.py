"""`devstack validate`: profiles, skaffold.yaml, chart values and rendered manifests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from devstack.cli.common import load_profile
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import OK, USAGE


def run(options: Options, paths: tuple[str, ...], kube_version: str, as_json: bool) -> int:
    """Print one line per problem; exit 2 if any (the stack's configuration is wrong, as for a bad
    profile or no stack), 3 without helm, 0 when every file is sound.

    With ``--json`` it prints ``{"ok", "problems", "exit_code"}``; when validation cannot run at all,
    `devstack.cli.main` prints the error document instead.
    """
    problems, count = _validate(options, paths, kube_version)
    code = USAGE if problems else OK
    if as_json:
        document = {"ok": not problems, "problems": [str(p) for p in problems], "exit_code": code}
        click.echo(json.dumps(document, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{len(problems)} problem(s)" if problems else f"ok: {count} files validated")
    return code


def _validate(options: Options, paths: tuple[str, ...], kube_version: str) -> tuple[list[object], int]:
    from devstack.profile import find_stack_root
    from devstack.profile.loader import display_path
    from devstack.validation import checked_files, validate_stack

    loaded = load_profile(options.profile, options.settings.user)
    if find_stack_root(loaded.root) is None:
        raise DevstackError(
            f"no stack found for {display_path(loaded.path)}: no folder from "
            f"{display_path(loaded.path.parent)} upwards holds profiles/ and skaffold.yaml",
            fix="validate checks a whole stack: run it inside your stack's repository",
            exit_code=USAGE,
        )
    extra = [Path(p) for p in paths]
    return list(validate_stack(loaded.root, extra, kube_version)), len(checked_files(loaded.root, extra))
