"""`devstack validate`: profiles, skaffold.yaml, chart values and rendered manifests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from devstack.cli.common import load_profile
from devstack.cli.options import Options
from devstack.exitcodes import OK, UNHEALTHY


def run(options: Options, paths: tuple[str, ...], kube_version: str, as_json: bool) -> int:
    """Print one line per problem; exit 1 if any, 3 when helm is missing (HelmMissing)."""
    from devstack.validation import checked_files, validate_stack

    loaded = load_profile(options.profile)
    extra = [Path(p) for p in paths]
    problems = validate_stack(loaded.root, extra, kube_version)
    if as_json:
        click.echo(json.dumps({"ok": not problems, "problems": [str(p) for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        count = len(checked_files(loaded.root, extra))
        click.echo(f"{len(problems)} problem(s)" if problems else f"ok: {count} files validated")
    return UNHEALTHY if problems else OK
