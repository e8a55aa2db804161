"""The pure parts of describe, YAML, exec, workload logs, sorting and the kind browser (devstack.core)."""

from __future__ import annotations

import base64
import copy

import pytest

from devstack.core import events as ev
from devstack.core.browse import browse_row, columns, pod_status
from devstack.core.describe import describe
from devstack.core.describe_format import align, human_duration
from devstack.core.kinds import find_kind, split_reference
from devstack.core.kubedecode import pod_info
from devstack.core.loglines import Interleaved, notice, parse_line, stamp_order
from devstack.core.manifest import secret_keys, shown_object
from devstack.core.reducer import reduce
from devstack.core.remotecommand import ExecOutcome, exec_path, outcome_of
from devstack.core.resources import endpoints_info, secret_info
from devstack.core.sorting import Sort, SortFields, sorted_keys
from devstack.core.state import State

NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z
TOKEN = "s3cr3t-token-value"
URL = "postgres://demo:hunter2@db:5432/app"


def crashing_pod() -> dict:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": "backend-1",
            "namespace": "jetscale",
            "labels": {"app": "backend"},
            "creationTimestamp": "2025-12-31T23:50:00Z",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "backend-7d9c4", "controller": True}],
            "managedFields": [{"manager": "kubectl"}],
        },
        "spec": {
            "nodeName": "node-1",
            "containers": [
                {
                    "name": "backend",
                    "image": "backend:dev",
                    "env": [
                        {"name": "PORT", "value": "8000"},
                        {"name": "API_TOKEN", "value": TOKEN},
                        {"name": "DATABASE_URL", "value": URL},
                        {"name": "FROM_SECRET", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                    ],
                }
            ],
        },
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {
                    "name": "backend",
                    "ready": False,
                    "restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                    "lastState": {
                        "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2025-12-31T23:59:00Z"}
                    },
                }
            ],
        },
    }


def secret() -> dict:
    encoded = base64.b64encode(URL.encode()).decode()
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {
            "name": "db",
            "namespace": "jetscale",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": f'{{"data":{{"url":"{encoded}"}}}}'
            },
            "managedFields": [{"manager": "kubectl"}],
        },
        "type": "Opaque",
        "data": {"url": encoded, "user": base64.b64encode(b"demo").decode()},
    }


def test_align_pads_each_run_of_tabbed_lines_into_columns() -> None:
    assert align(["Name:\tx", "Namespace:\tns", "IPs:", "  IP:\t1", "Controlled By:\tRS/a"]) == [
        "Name:       x",
        "Namespace:  ns",
        "IPs:",
        "  IP:           1",
        "Controlled By:  RS/a",
    ]
    durations = (5, 130, 610, 7300, 15_000, 90_000, 500_000, 800_000)  # as kubectl's HumanDuration
    assert [human_duration(s) for s in durations] == [
        "5s",
        "2m10s",
        "10m",
        "121m",
        "4h10m",
        "25h",
        "5d18h",
        "9d",
    ]


def test_describe_of_a_crashlooping_pod_shows_state_last_state_and_events_but_no_secret() -> None:
    event = {
        "type": "Warning",
        "reason": "BackOff",
        "message": "Back-off restarting failed container backend",
        "count": 6,
        "firstTimestamp": "2025-12-31T23:52:00Z",
        "lastTimestamp": "2025-12-31T23:59:30Z",
        "source": {"component": "kubelet"},
    }
    text = "\n".join(describe(crashing_pod(), [event], NOW))
    for part in (
        "Name:             backend-1",
        "Node:             node-1",
        "Controlled By:    ReplicaSet/backend-7d9c4",
        "    State:          Waiting\n      Reason:       CrashLoopBackOff",
        "    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1",
        "    Restart Count:  4",
        "      PORT:          8000",
        "      FROM_SECRET:   <set to the key 'k' in secret 's'>  Optional: false",
        "      POD:           backend-1 (v1:metadata.name)",
        "  Warning  BackOff  30s (x6 over 8m)  kubelet  Back-off restarting failed container backend",
    ):
        assert part in text, part
    assert TOKEN not in text and "hunter2" not in text  # env literals hidden by name and by pattern
    assert "managedFields" not in text


def test_describe_of_a_secret_shows_sizes_never_values_and_other_kinds_nest_their_fields() -> None:
    text = "\n".join(describe(secret(), [], NOW))
    assert "url:   35 bytes" in text and "user:  4 bytes" in text
    assert "hunter2" not in text and base64.b64encode(URL.encode()).decode() not in text
    assert "Events" not in text  # kubectl's Secret describer shows none
    ingress = {
        "kind": "Ingress",
        "apiVersion": "networking.k8s.io/v1",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "app.local"}]},
    }
    lines = describe(ingress, [], NOW)
    assert (
        "Spec:" in lines and "  Ingress Class Name:  nginx" in lines and "      Host:  app.local" not in lines
    )
    assert any(line.strip() == "Host:  app.local" for line in lines)
    assert lines[-1].split() == ["Events:", "<none>"]


def test_yaml_hides_managed_fields_and_every_secret_value_unless_revealed() -> None:
    original = secret()
    kept = copy.deepcopy(original)
    shown = shown_object(original)
    assert original == kept  # a copy is changed, never the object
    assert "managedFields" not in shown["metadata"]
    assert shown["data"] == {"url": "<hidden: 35 bytes>", "user": "<hidden: 4 bytes>"}
    assert "hunter2" not in str(shown)  # the last-applied annotation holds the value too
    revealed = shown_object(original, frozenset({"url"}))
    assert revealed["data"] == {"url": URL, "user": "<hidden: 4 bytes>"}
    assert secret_keys(original) == ["url", "user"]
    pod = shown_object(crashing_pod())
    assert "managedFields" not in pod["metadata"] and pod["spec"] == crashing_pod()["spec"]


def test_secret_summaries_hold_key_names_only() -> None:
    info = secret_info(secret())
    assert info.keys == ("url", "user") and "hunter2" not in repr(info)
    endpoints = endpoints_info(
        {
            "metadata": {"name": "svc"},
            "subsets": [
                {
                    "addresses": [{"ip": "10.0.0.1"}],
                    "notReadyAddresses": [{"ip": "10.0.0.2"}],
                    "ports": [{"port": 80}],
                }
            ],
        }
    )
    assert (endpoints.ready, endpoints.not_ready) == (("10.0.0.1:80",), 1)


def test_exec_status_gives_the_exit_code_or_the_error() -> None:
    assert outcome_of({"metadata": {}, "status": "Success"}) == ExecOutcome(0)
    failure = {
        "status": "Failure",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
    }
    assert outcome_of(failure) == ExecOutcome(3)
    internal = outcome_of({"status": "Failure", "reason": "InternalError", "message": "container not found"})
    assert internal == ExecOutcome(None, "container not found")
    assert outcome_of(None).exit_code is None
    tty = exec_path("ns", "p", "c", ["sh", "-c", "echo $X"], stdin=True, tty=True)
    assert (
        tty
        == "/api/v1/namespaces/ns/pods/p/exec?command=sh&command=-c&command=echo+%24X&container=c&stdin=true&stdout=true&tty=true"
    )
    assert "stderr=true" in exec_path("ns", "p", "c", ["true"], stdin=False, tty=False)


def test_log_lines_of_many_pods_are_kept_in_time_order() -> None:
    assert stamp_order("2026-01-01T00:00:01.5Z") == (1_767_225_601, 500_000_000)
    assert stamp_order("2026-01-01T00:00:01.123456789Z") < stamp_order("2026-01-01T00:00:01.2Z")  # type: ignore[operator]
    assert stamp_order("not a time") is None
    buffer = Interleaved()
    first = parse_line("2026-01-01T00:00:02Z second", "old", "c")
    assert buffer.add([first])
    assert not buffer.add([parse_line("2026-01-01T00:00:01Z first", "new", "c")])  # earlier: inserted
    assert buffer.add([notice("stream ended")])
    assert [line.text for line in buffer.lines] == ["first", "second", "── stream ended"]
    assert buffer.lines[0].render() == "[pod/new/c] first"
    assert buffer.lines[0].render(timestamps=True, prefix=False) == "2026-01-01T00:00:01Z first"


def test_sorting_by_restarts_puts_the_most_first_and_pressing_again_reverses() -> None:
    rows = {
        "a": SortFields("a", "Running", 0, 100.0, 0),
        "z": SortFields("z", "CrashLoopBackOff", 3, 50.0, 7),
        "m": SortFields("m", "Pending", 1, None, 1),
    }
    restarts = Sort().pressed("restarts")
    assert (restarts.column, restarts.arrow) == ("restarts", "↓")
    assert sorted_keys(rows, restarts) == ["z", "m", "a"]
    assert sorted_keys(rows, restarts.pressed("restarts")) == ["a", "m", "z"]
    assert sorted_keys(rows, Sort().pressed("status")) == ["z", "m", "a"]  # worst first
    assert sorted_keys(rows, Sort().pressed("age")) == ["a", "z", "m"]  # newest first, unknown last
    assert sorted_keys(rows, Sort()) == ["a", "m", "z"]


def test_kind_names_resolve_as_kubectl_and_k9s_spell_them() -> None:
    assert [find_kind(n).plural for n in ("cm", "Secret", "ing", "cj", "pvc", "ep", "deploy", "ns")] == [  # type: ignore[union-attr]
        "configmaps", "secrets", "ingresses", "cronjobs", "persistentvolumeclaims", "endpoints", "deployments", "namespaces",
    ]  # fmt: skip
    assert split_reference("deploy/backend")[1] == "backend"
    with pytest.raises(ValueError, match="unknown kind 'frob'"):
        split_reference("frob/x")
    with pytest.raises(ValueError, match="names no object"):
        split_reference("pod/")


def test_browse_rows_and_the_browsers_scoped_watch() -> None:
    pod = pod_info(crashing_pod())
    assert pod_status(pod) == "CrashLoopBackOff"
    row = browse_row("pods", pod, NOW)
    assert (row.cells, row.level, row.fields.restarts) == (
        ("0/1", "CrashLoopBackOff", "4", "<none>"),
        "error",
        4,
    )
    assert [key for key, _ in columns("secrets")] == ["type", "data", "keys"]
    assert browse_row("secrets", secret_info(secret()), NOW).cells == ("Opaque", "2", "url,user")

    state = reduce(State(), ev.BrowseStarted("secrets", "jetscale"))
    scope = state.browse.scope
    state = reduce(state, ev.KubeSynced("secrets", (secret_info(secret()),), scope=scope))
    assert list(state.browse.items) == ["jetscale/db"] and state.browse.synced
    stale = ev.KubeChanged(
        "secrets",
        "ADDED",
        secret_info({**secret(), "metadata": {"name": "x", "namespace": "old"}}),
        scope="secrets@old",
    )
    assert (
        reduce(state, ev.KubeBatch((stale,))).browse.items == state.browse.items
    )  # a replaced watch's event
    assert (
        reduce(state, ev.KubeChanged("pods", "ADDED", pod, scope=scope)).pods == {}
    )  # never the dashboard's
    assert reduce(state, ev.BrowseStopped()).browse.items == {}
