"""Server-side Table cells of Endpoints, Jobs, CronJobs and PersistentVolumeClaims (after
pkg/printers/internalversion); `tables.py` serves them with `printers.PRINTERS`."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from devstack_sim.printers import INT, Cells, Column, S, _none, age, human_duration, since
from devstack_sim.store import Obj


def _endpoints(obj: Obj) -> Cells:
    shown = [
        f"{a.get('ip')}:{p.get('port')}" if p.get("port") else str(a.get("ip"))
        for subset in obj.get("subsets") or []
        for a in subset.get("addresses") or []
        for p in subset.get("ports") or [{}]
    ]
    text = ",".join(shown[:3]) + (f" + {len(shown) - 3} more..." if len(shown) > 3 else "")
    return [text or "<none>", age(obj)]


def _job(obj: Obj) -> Cells:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    state = next((k for k in ("Complete", "Failed", "Suspended") if conditions.get(k) == "True"), "Running")
    completions = f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"
    start, end = status.get("startTime"), status.get("completionTime")
    duration = ""
    if start:
        begin = datetime.datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        finish = (
            datetime.datetime.fromisoformat(str(end).replace("Z", "+00:00"))
            if end
            else datetime.datetime.now(datetime.UTC)
        )
        duration = human_duration((finish - begin).total_seconds())
    return [state, completions, duration, age(obj)]


def _cronjob(obj: Obj) -> Cells:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    last = status.get("lastScheduleTime")
    return [
        spec.get("schedule", ""),
        _none(spec.get("timeZone")),
        "True" if spec.get("suspend") else "False",
        len(status.get("active") or []),
        since(last) if last else "<none>",
        age(obj),
    ]


def _pvc(obj: Obj) -> Cells:
    spec, status = obj.get("spec", {}), obj.get("status", {})
    short = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    modes = ",".join(short.get(m, m) for m in status.get("accessModes") or [])
    return [
        status.get("phase", "Pending"),
        spec.get("volumeName", ""),
        (status.get("capacity") or {}).get("storage", ""),
        modes,
        _none(spec.get("storageClassName")),
        _none(spec.get("volumeAttributesClassName")),
        age(obj),
    ]


MORE_PRINTERS: dict[str, tuple[list[Column], Callable[[Obj], Cells]]] = {
    "Endpoints": ([("Endpoints", 0, S), ("Age", 0, S)], _endpoints),
    "Job": ([("Status", 0, S), ("Completions", 0, S), ("Duration", 0, S), ("Age", 0, S)], _job),
    "CronJob": (
        [
            ("Schedule", 0, S),
            ("Timezone", 0, S),
            ("Suspend", 0, "boolean"),
            ("Active", 0, INT),
            ("Last Schedule", 0, S),
            ("Age", 0, S),
        ],
        _cronjob,
    ),
    "PersistentVolumeClaim": (
        [
            ("Status", 0, S),
            ("Volume", 0, S),
            ("Capacity", 0, S),
            ("Access Modes", 0, S),
            ("StorageClass", 0, S),
            ("VolumeAttributesClass", 0, S),
            ("Age", 0, S),
        ],
        _pvc,
    ),
}
