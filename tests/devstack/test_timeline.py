"""The dev-loop timeline in the core: Skaffold's events and the fallback's lines become the same
iterations and phases; notes say why a cache missed or an artifact was rebuilt; the rollout and
forward rules of "the browser sees it"."""

from __future__ import annotations

from dataclasses import replace

from msgspec.structs import replace as replace_struct  # summaries are msgspec Structs

from devstack.core import events as ev
from devstack.core import timeline as tl
from devstack.core.kube import ContainerInfo, DeploymentInfo, PodInfo
from devstack.core.portforward import ForwardView
from devstack.core.reducer import reduce
from devstack.core.rollout import forwards_waiting, rollout_waiting
from devstack.core.state import State
from devstack.core.toolout import parse_skaffold_line


def run(events: list[ev.Event], state: State | None = None) -> State:
    state = state or State()
    for event in events:
        state = reduce(state, event)
    return state


def skaffold_iteration(n: int, t0: float, miss: tuple[str, ...] = ("jetscale-backend",)) -> list[ev.Event]:
    """The events of one `skaffold dev` iteration, as the event API sends them."""
    artifacts = ("jetscale-backend", "jetscale-frontend")
    events: list[ev.Event] = [
        ev.SkaffoldTask("DevLoop", n, "InProgress", at=t0),
        ev.SkaffoldTask("Build", n, "InProgress", at=t0 + 0.1),
    ]
    for artifact in artifacts:
        events.append(ev.SkaffoldBuildStep(artifact, "Cache", "InProgress", at=t0 + 0.2))
        status = "Failed" if artifact in miss else "Succeeded"
        events.append(ev.SkaffoldBuildStep(artifact, "Cache", status, at=t0 + 0.3))
    for artifact in miss:
        events += [
            ev.SkaffoldBuildStep(artifact, "Build", "InProgress", at=t0 + 0.4),
            ev.SkaffoldBuildStep(artifact, "Build", "Succeeded", at=t0 + 1.4),
        ]
    events += [
        ev.SkaffoldTask("Build", n, "Succeeded", at=t0 + 1.5),
        ev.DeployOutput("Loading images into kind cluster nodes...", at=t0 + 1.6),
        ev.DeployOutput(" - jetscale-backend -> jetscale-backend:new", at=t0 + 1.6),
        ev.DeployOutput("Images loaded in 300ms", at=t0 + 1.9),
        ev.SkaffoldTask("Deploy", n, "InProgress", at=t0 + 2.0),
        ev.SkaffoldTask("Deploy", n, "Succeeded", at=t0 + 2.5),
        ev.SkaffoldTask("StatusCheck", n, "InProgress", at=t0 + 2.5),
        ev.SkaffoldStatusCheck("jetscale:deployment/jetscale-backend", "Succeeded", at=t0 + 3.0),
        ev.SkaffoldTask("StatusCheck", n, "Succeeded", at=t0 + 3.0),
        ev.SkaffoldTask("DevLoop", n, "Succeeded", at=t0 + 3.0),
    ]
    return events


def test_skaffold_events_make_an_iteration_with_every_tool_phase() -> None:
    start = [ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=99.0, channel="pending")]
    state = run(
        [
            *start,
            ev.DeployChannel("events", "event API on 127.0.0.1:5", at=99.5),
            *skaffold_iteration(1, 100.0),
        ]
    )
    assert state.deploy.channel == "events" and state.deploy.iteration == 1
    assert state.deploy.phase == "watching"
    assert dict(state.deploy.tags) == {"jetscale-backend": "jetscale-backend:new"}
    assert state.deploy.rollout("jetscale-backend") == ("ready", "")
    first = state.timeline.current
    assert first is not None and first.trigger == tl.FIRST_DEPLOY and first.running
    phases = {p.name: (p.start, p.end) for p in first.phases}
    assert phases == {
        "cache": (100.2, 100.3),
        "build:jetscale-backend": (100.4, 101.4),
        "load": (101.6, 101.9),
        "deploy": (102.0, 102.5),
    }
    assert first.slowest is not None and first.slowest.name == "build:jetscale-backend"


def test_load_lines_read_after_the_deploy_event_still_put_the_load_before_the_deploy() -> None:
    start = [ev.DeployStarted("skaffold", ("skaffold", "dev"), "dev", at=99.0, channel="pending")]
    events = skaffold_iteration(1, 100.0)
    lines = [e for e in events if isinstance(e, ev.DeployOutput)]
    deploy_started = next(
        i for i, e in enumerate(events) if isinstance(e, ev.SkaffoldTask) and e.task == "Deploy"
    )
    # The output reader lags behind the event API: the load's lines are read after the Deploy event.
    late = [replace(line, at=102.1) for line in lines]
    reordered = [e for e in events[: deploy_started + 1] if e not in lines] + late
    reordered += events[deploy_started + 1 :]
    state = run([*start, ev.DeployChannel("events", "event API on 127.0.0.1:5", at=99.5), *reordered])
    first = state.timeline.current
    assert first is not None
    phases = {p.name: p for p in first.phases}
    load, deploy = phases["load"], phases["deploy"]
    assert load.end is not None and load.start <= load.end <= deploy.start
    assert load.start == phases["build:jetscale-backend"].end  # it began when the build ended
    order = [p.name for p in sorted(first.phases, key=lambda p: p.start)]
    assert order.index("load") < order.index("deploy")


def test_a_change_iteration_ends_at_the_first_answer_and_its_phases_cover_the_total() -> None:
    state = run(
        [ev.DeployStarted("skaffold", (), "dev", at=1.0, channel="events"), *skaffold_iteration(1, 10.0)]
    )
    state = run([ev.LoopIterationEnded(True, at=14.0)], state)
    state = run(skaffold_iteration(2, 50.0), state)
    changed = (("jetscale-backend", ("demo/backend/app.py",)),)
    state = run(
        [
            ev.LoopTriggered(("demo/backend/app.py",), 49.2, changed, sync_rules=()),
            ev.LoopPhase("rollout", at=52.5),
            ev.LoopPhase("rollout", at=53.4, ended=True),
            ev.LoopPhase("forwards", at=53.4),
            ev.LoopPhase("forwards", at=53.5, ended=True),
            ev.LoopPhase("http", at=53.5),
            ev.LoopPhase("http", at=53.6, ended=True),
            ev.LoopIterationEnded(True, at=53.6),
        ],
        state,
    )
    assert [i.n for i in state.timeline.iterations] == [1, 2]
    second = state.timeline.iterations[-1]
    assert second.trigger == "files changed: demo/backend/app.py" and second.ok is True
    assert second.total_seconds is not None and abs(second.total_seconds - 4.4) < 1e-9
    names = [p["name"] for p in tl.as_json(second)["phases"]]
    assert names == [
        "detect",
        "cache",
        "build:jetscale-backend",
        "load",
        "deploy",
        "rollout",
        "forwards",
        "http",
    ]
    gaps = second.total_seconds - second.covered_seconds
    assert 0 <= gaps < 0.7  # tags (0.1s), build→load (0.2s), load→deploy (0.1s), cache→build (0.1s)
    assert second.notes == (
        "jetscale-backend: cache miss: demo/backend/app.py changed since its last build",
        "jetscale-backend: rebuilt, not synced: skaffold.yaml has no sync rules for it",
    )
    document = tl.as_json(second)
    assert set(document) >= {"n", "trigger", "phases", "total_seconds"}
    assert all(set(p) >= {"name", "start", "seconds", "ok"} for p in document["phases"])


def test_a_failed_status_check_ends_the_iteration_with_its_error() -> None:
    events = [
        *skaffold_iteration(1, 10.0)[:-3],
        ev.SkaffoldStatusCheck(
            "jetscale:deployment/jetscale-backend",
            "Failed",
            at=14.0,
            message="container backend is backing off",
        ),
        ev.SkaffoldTask("StatusCheck", 1, "Failed", at=14.0, error="1/2 deployment(s) failed"),
        ev.SkaffoldTask("DevLoop", 1, "Failed", at=14.0, error="1/2 deployment(s) failed"),
    ]
    state = run([ev.DeployStarted("skaffold", (), "dev", at=1.0, channel="events"), *events])
    assert state.deploy.phase == "failed"
    assert state.deploy.errors == (
        "jetscale-backend: container backend is backing off",
        "1/2 deployment(s) failed",
    )
    current = state.timeline.current
    assert current is not None and current.ok is False and current.error == "1/2 deployment(s) failed"


def test_skaffold_run_has_no_devloop_task_and_still_makes_one_iteration() -> None:
    events = [
        e for e in skaffold_iteration(0, 10.0) if not (isinstance(e, ev.SkaffoldTask) and e.task == "DevLoop")
    ]
    state = run([ev.DeployStarted("skaffold", (), "run", at=1.0, channel="events"), *events])
    assert state.deploy.iteration == 1 and state.deploy.phase == "deployed"
    assert [i.trigger for i in state.timeline.iterations] == [tl.FIRST_DEPLOY]


LINES = [
    "Generating tags...",
    " - jetscale-backend -> jetscale-backend:abc",
    "Checking cache...",
    " - jetscale-backend: Not found. Building",
    "Starting build...",
    "Building [jetscale-backend]...",
    "Build [jetscale-backend] succeeded",
    "Tags used in deployment:",
    " - jetscale-backend -> jetscale-backend:abc",
    "Starting deploy...",
    "Loading images into kind cluster nodes...",
    " - jetscale-backend:abc -> Loaded",
    "Images loaded in 1.2s",
    "Waiting for deployments to stabilize...",
    " - jetscale:deployment/jetscale-backend is ready.",
    "Deployments stabilized in 2s",
    "Watching for changes...",
]


def test_the_fallback_reads_the_same_phases_from_the_lines_kept_while_pending() -> None:
    state = run([ev.DeployStarted("skaffold", (), "dev", at=1.0, channel="pending")])
    state = run([ev.DeployOutput(line, at=10.0 + i) for i, line in enumerate(LINES)], state)
    assert state.timeline.current is None
    assert len(state.deploy.pending) == sum(1 for line in LINES if parse_skaffold_line(line) is not None)
    state = run([ev.DeployChannel("log", "skaffold answered 404 for /v2/events", at=30.0)], state)
    assert (state.deploy.channel, state.deploy.pending) == ("log", ())
    assert state.deploy.iteration == 1 and state.deploy.phase == "watching"
    assert state.deploy.rollout("jetscale-backend") == ("ready", "")
    current = state.timeline.current
    assert current is not None
    assert {p.name: (p.start, p.end) for p in current.phases} == {
        "cache": (12.0, 13.0),
        "build:jetscale-backend": (15.0, 16.0),
        "load": (20.0, 22.0),
        "deploy": (22.0, 23.0),
    }
    assert current.cache_misses == ("jetscale-backend",)


def test_events_mode_ignores_progress_lines_but_keeps_errors_and_the_log() -> None:
    state = run([ev.DeployStarted("skaffold", (), "dev", at=1.0, channel="events")])
    state = run([ev.DeployOutput(line, at=5.0) for line in [*LINES, "Error: something broke"]], state)
    assert state.deploy.iteration == 0 and state.timeline.current is None
    assert state.deploy.lines[-1] == "Error: something broke" and state.deploy.errors == (
        "Error: something broke",
    )


def pod(name: str, image: str, ready: bool = True, deleting: bool = False) -> PodInfo:
    return PodInfo(
        "jetscale",
        name,
        ready=ready,
        deleting=deleting,
        labels=(("app", "backend"),),
        containers=(ContainerInfo("backend", image, ready=ready),),
    )


def test_rollout_waits_for_the_new_image_in_the_spec_every_new_pod_ready_and_no_old_pod() -> None:
    tags = {"jetscale-backend": "jetscale-backend:new"}
    deployment = DeploymentInfo(
        "jetscale",
        "jetscale-backend",
        replicas=1,
        ready_replicas=1,
        available_replicas=1,
        updated_replicas=1,
        generation=2,
        observed_generation=2,
        selector=(("app", "backend"),),
        images=("jetscale-backend:old",),
    )
    # A first deploy the watch has not caught up with: nothing seen yet is not "rolled out".
    assert rollout_waiting({}, {}, tags) == ["no Deployment seen by the watch yet"]
    state = State(deployments={deployment.key: deployment}, pods={"a": pod("old", "jetscale-backend:old")})
    assert rollout_waiting(state.deployments, state.pods, tags) == [
        "jetscale-backend: the new image is not in its spec yet"
    ]
    deployment = replace_struct(deployment, images=("jetscale-backend:new",), generation=3)
    pods = {
        "a": pod("old", "jetscale-backend:old"),
        "b": pod("new", "docker.io/library/jetscale-backend:new", ready=False),
    }
    state = replace(state, deployments={deployment.key: deployment}, pods=pods)
    assert rollout_waiting(state.deployments, state.pods, tags) == [
        "jetscale-backend: 0/1 new pod(s) ready, 1 old pod(s) still running"
    ]
    deployment = replace_struct(deployment, observed_generation=3)
    pods = {"a": pod("old", "jetscale-backend:old", deleting=True), "b": pod("new", "jetscale-backend:new")}
    state = replace(state, deployments={deployment.key: deployment}, pods=pods)
    assert rollout_waiting(state.deployments, state.pods, tags) == []
    forward = ForwardView("backend", 8000, "jetscale-backend", 8000, status="ready", pod="old")
    state = replace(state, forwards={"backend": forward})
    assert forwards_waiting(state.forwards, state.pods, ["backend"], tags) == ["backend: still on pod old"]
    state = replace(state, forwards={"backend": replace(forward, pod="new")})
    assert forwards_waiting(state.forwards, state.pods, ["backend"], tags) == []
