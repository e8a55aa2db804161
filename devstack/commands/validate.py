"""`devstack validate`: profiles, skaffold.yaml, chart values and rendered manifests."""

from __future__ import annotations

import json
from pathlib import Path

import click

from devstack.cli import Options
from devstack.commands.common import load_profile
from devstack.errors import DevstackError
from devstack.exitcodes import MISSING_PREREQUISITE, OK, UNHEALTHY


def run(options: Options, paths: tuple[str, ...], kube_version: str, as_json: bool) -> int:
    """Print one line per problem; exit 1 if any, 3 when helm is missing."""
    from devstack.validation import HelmMissing, validate_stack

    loaded = load_profile(options.profile)
    try:
        problems = validate_stack(loaded.root, [Path(p) for p in paths], kube_version)
    except HelmMissing as err:
        raise DevstackError(
            str(err), fix="install helm: https://helm.sh/docs/intro/install/", exit_code=MISSING_PREREQUISITE
        ) from None
    if as_json:
        click.echo(json.dumps({"ok": not problems, "problems": [str(p) for p in problems]}, indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        click.echo(f"{len(problems)} problem(s)" if problems else "ok: the stack validates")
    return UNHEALTHY if problems else OK
