"""`devstack describe KIND/NAME [--json|--yaml]`: one object of the allowed context, as kubectl shows it."""

from __future__ import annotations

import time

import click

from devstack.cli.common import echo_lines, engine_context
from devstack.cli.options import Options
from devstack.errors import DevstackError
from devstack.exitcodes import OK, USAGE


def describe(options: Options, reference: str, as_json: bool, as_yaml: bool) -> int:
    """Print the describe text (or the object as JSON / YAML, Secret values hidden)."""
    from devstack.core.describe import describe as describe_lines
    from devstack.core.kinds import split_reference
    from devstack.core.manifest import shown_object
    from devstack.engine.inspect import inspect
    from devstack.sources.kubeapi import KubeApi
    from devstack.views import jsonview
    from devstack.views.manifest import to_yaml

    if as_json and as_yaml:
        raise DevstackError("--json and --yaml do not go together", exit_code=USAGE)
    try:
        spec, name = split_reference(reference)
    except ValueError as err:
        raise DevstackError(str(err), exit_code=USAGE) from None
    ctx = engine_context(options)
    api = KubeApi(ctx.target)
    try:
        found = inspect(api, spec, name)
    except DevstackError:
        raise
    except Exception as err:  # noqa: BLE001 - an unreachable cluster is one line, not a traceback
        from devstack.sources.kube import describe_error

        raise DevstackError(f"cannot reach {ctx.context}: {describe_error(err)}", fix="devstack up") from None
    finally:
        api.close()
    if as_json:
        document = {
            "ok": True,
            "context": ctx.context,
            "kind": spec.kind,
            "object": shown_object(found.obj),
            "events": [shown_object(e) for e in found.events],
        }
        click.echo(jsonview.dumps(document))
    elif as_yaml:
        click.echo(to_yaml(found.obj), nl=False)
    else:
        echo_lines(describe_lines(found.obj, found.events, time.time(), found.related))
    return OK
