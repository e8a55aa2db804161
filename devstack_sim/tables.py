"""Server-side `Table` output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), as kubectl asks for.

Columns and cell texts follow the API server's printers (pkg/printers/internalversion): pods show
READY, STATUS (waiting/terminated reasons, `Init:x/y`, `Terminating`), RESTARTS and AGE; deployments
READY/UP-TO-DATE/AVAILABLE; services TYPE/CLUSTER-IP/EXTERNAL-IP/PORT(S); nodes STATUS/ROLES/VERSION,
and so on; priority-1 columns are what `-o wide` adds. Rows carry the object as
`PartialObjectMetadata` (`includeObject=Metadata`, the default), whole (`Object`) or not at all
(`None`). Types without a printer get NAME and AGE.
"""

from __future__ import annotations

from aiohttp import web

from devstack_sim import errors
from devstack_sim.printers import PRINTERS, S, age, human_duration
from devstack_sim.printers_kinds import MORE_PRINTERS
from devstack_sim.resources import ResourceType
from devstack_sim.store import Obj

__all__ = ["human_duration", "requested_version", "table"]


def requested_version(request: web.Request) -> str | None:
    """`v1`/`v1beta1` when the Accept header asks for a meta.k8s.io Table first, else None."""
    for part in request.headers.get("Accept", "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        values = dict(p.split("=", 1) for p in params if "=" in p)
        if values.get("as") == "Table" and values.get("g") == "meta.k8s.io":
            return values.get("v", "v1")
        if media in ("application/json", "*/*", "application/*") and not values.get("as"):
            return None
    return None


_NO_NAME_COLUMN = ("Event",)


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    rtype: ResourceType,
    objects: list[Obj],
    resource_version: int,
    version: str,
    include: str,
    headers: bool = True,
) -> Obj:
    """The Table document for `objects` of one type.

    Raises:
        ApiError: 400 for an unknown `includeObject` value.
    """
    if include not in ("None", "Metadata", "Object"):
        raise errors.bad_request(
            f'includeObject: Unsupported value: "{include}": supported values: "None", "Metadata", "Object"'
        )
    columns, cells = {**PRINTERS, **MORE_PRINTERS}.get(rtype.kind, ([("Age", 0, S)], lambda o: [age(o)]))
    named = rtype.kind not in _NO_NAME_COLUMN  # events show their name as a wide column instead
    definitions = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    definitions = definitions if named else []
    definitions += [
        {"name": n, "type": t, "format": "", "description": n, "priority": p} for n, p, t in columns
    ]
    rows = []
    for obj in objects:
        row: Obj = {"cells": [obj.get("metadata", {}).get("name", ""), *cells(obj)] if named else cells(obj)}
        inner = _row_object(obj, include)
        if inner is not None:
            row["object"] = inner
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": {"resourceVersion": str(resource_version)},
        "columnDefinitions": definitions if headers else [],
        "rows": rows,
    }
